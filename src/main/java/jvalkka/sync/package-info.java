/**
 * Cross-process synchronisation with valkka's names: {@link jvalkka.sync.EventGroup}
 * ({@code set}, {@code reserve}, {@code release}, {@code release_ind},
 * {@code fromIndex}, {@code asIndex}) and {@link jvalkka.sync.SyncIndex}, which
 * unlike valkka's fails with {@link jvalkka.sync.BackendDiedException} when the
 * {@link jvalkka.sync.internal.Peer}s that could set the event have died.
 * Depends on {@code jvalkka.shm} only.
 */
package jvalkka.sync;
