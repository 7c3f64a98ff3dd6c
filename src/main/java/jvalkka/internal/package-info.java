/**
 * Internal to jvalkka, not an API: may change in any release without notice. The one tagged
 * value codec ({@link jvalkka.internal.ValueCodec}, {@link jvalkka.internal.ValueWriter},
 * {@link jvalkka.internal.ValueReader}), the cluster's node keys ({@link jvalkka.internal.NodeKeys}),
 * the seam a launcher of backends on other hosts plugs into ({@link jvalkka.internal.RemoteLauncher},
 * {@link jvalkka.internal.RemoteBackend}), and why an object cannot cross to another JVM
 * ({@link jvalkka.internal.Serializability}, over {@link jvalkka.internal.FieldWalker}). Public
 * only because other jvalkka packages use it; a module descriptor would not export this package
 * (see ARCHITECTURE.md).
 */
package jvalkka.internal;
