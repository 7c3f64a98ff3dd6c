/**
 * Internal to jvalkka, not an API: may change in any release without notice. The process a
 * synchronisation waits on ({@link jvalkka.sync.internal.Peer}) and the handles that learn it
 * when they cross to a backend ({@link jvalkka.sync.internal.PeerAware}). Public only because
 * the multiprocess core implements them.
 */
package jvalkka.sync.internal;
