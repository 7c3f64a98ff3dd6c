/**
 * What a running program shows through JMX (the JDK's own {@code javax.management}):
 * the interfaces of the MBeans that jvalkka registers in the platform MBean server
 * ({@link java.lang.management.ManagementFactory#getPlatformMBeanServer()}) while a
 * {@link jvalkka.multiprocess.MainContext}, a {@link jvalkka.pool.ProcessQueue} or a
 * {@link jvalkka.sgn.subprocess.Parallelize} runs, and unregisters when it stops.
 *
 * <p>The names, all in the domain {@code jvalkka}:
 * <ul>
 * <li>{@code jvalkka:type=MainContext,name=CLASS}: a {@link MainContextMXBean};</li>
 * <li>{@code jvalkka:type=MainContext.Worker,context=CLASS,name=WORKER}: a {@link WorkerMXBean}
 * for each of its workers;</li>
 * <li>{@code jvalkka:type=ProcessQueue,name=NAME}: a {@link ProcessQueueMXBean};</li>
 * <li>{@code jvalkka:type=Parallelize,name=ELEMENT}: a {@link ParallelizeWorkerMXBean} for the
 * worker of each {@code Parallelize*Element}.</li>
 * </ul>
 * A second object of the same name in one JVM gets {@code NAME-2}, {@code NAME-3}, ... .
 * The system property {@code -Djvalkka.jmx=false} turns the registration off.
 *
 * <p>Counts are read without locks from fields that the message path updates as it goes:
 * a value read while work runs is at most a few messages old.
 */
package jvalkka.jmx;
