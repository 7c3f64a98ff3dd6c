/**
 * A producer/consumer pool over worker JVMs: {@link jvalkka.pool.ProcessQueue}.
 *
 * <p>Built on {@link jvalkka.multiprocess.MessageProcess}: each worker is a
 * backend JVM running one function over the items the frontend sends it in
 * small adaptive batches, so that cheap items cost little and expensive ones
 * keep every worker busy.
 */
package jvalkka.pool;
