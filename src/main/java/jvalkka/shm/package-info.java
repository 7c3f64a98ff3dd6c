/**
 * Shared memory for jvalkka: named POSIX segments ({@link jvalkka.shm.SharedMemory}),
 * typed n-dimensional views over them ({@link jvalkka.shm.SharedArray}, {@link jvalkka.shm.DType}),
 * cross-process futexes ({@link jvalkka.shm.internal.Futex}), and the per-JVM
 * {@link jvalkka.shm.internal.RunRecord} that lets a crashed run's segments and children be
 * found and removed ({@link jvalkka.shm.internal.Cleanup}).
 *
 * <p>Framework handles serialize as names and re-open in the JVM that
 * deserializes them, calling {@link jvalkka.shm.internal.Crossing#note(Object)} on the way.
 * This package does not depend on {@code jvalkka.multiprocess}.
 */
package jvalkka.shm;
