/**
 * Internal to jvalkka, not an API: may change in any release without notice. The run record and
 * its sweep ({@link jvalkka.shm.internal.RunRecord}, {@link jvalkka.shm.internal.Cleanup} behind
 * {@code scripts/cleanup}), the private run directory checks, cross-process futexes
 * ({@link jvalkka.shm.internal.Futex}), and the handle base class and deserialization hook that
 * {@code SharedMemory}, {@code SharedArray} and {@code EventGroup} share
 * ({@link jvalkka.shm.internal.NamedHandle}, {@link jvalkka.shm.internal.Crossing}). Public only
 * because other jvalkka packages use it; the jar's module name is {@code jvalkka} (an automatic
 * module, see ARCHITECTURE.md), and a module descriptor would not export this package.
 */
package jvalkka.shm.internal;
