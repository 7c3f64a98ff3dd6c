package jvalkka.sgn;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;

/**
 * SGN's {@code MEMPROF} level for {@link Pipeline#run()}: when the pipeline's logger
 * ({@code sgn.pipeline}) is at {@code MEMPROF} (SLF4J's {@code TRACE}, e.g.
 * {@code SGNLOGLEVEL="pipeline:MEMPROF"}), each loop runs through here instead of the plain
 * loop, and logs the bytes the pipeline's thread allocated in it, the elements that allocated
 * most, the total since the run started and the heap in use; the end of the run logs the total
 * per element. The counts come from the JVM's own per-thread counter
 * ({@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes}), so they are exact
 * for the pipeline's thread and include nothing of other threads (thread- or process-mode
 * workers allocate in their own threads and JVMs).
 *
 * <p>The plain loop carries no profiling code: the choice is made once per {@code run()}.
 */
final class MemProfile {
    private static final int TOP = 3;

    private final Logger log;
    private final com.sun.management.ThreadMXBean threads;
    private final byte[] kinds;
    private final SourcePad[] srcAt;
    private final SinkPad[] snkAt;
    private final Element[] inlAt;
    /** Per node: the element index in {@link #elements}. */
    private final int[] elementOf;
    private final List<Element> elements = new ArrayList<>();
    private final long[] loopBytes;
    private final long[] runBytes;
    private long sinceStart;
    private long loopsRun;

    private MemProfile(Logger log, com.sun.management.ThreadMXBean threads, byte[] kinds, SourcePad[] srcAt,
            SinkPad[] snkAt, Element[] inlAt) {
        this.log = log;
        this.threads = threads;
        this.kinds = kinds;
        this.srcAt = srcAt;
        this.snkAt = snkAt;
        this.inlAt = inlAt;
        this.elementOf = new int[kinds.length];
        Map<Element, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < kinds.length; i++) {
            Element e = elementAt(i);
            Integer at = index.get(e);
            if (at == null) {
                at = elements.size();
                index.put(e, at);
                elements.add(e);
            }
            elementOf[i] = at;
        }
        this.loopBytes = new long[elements.size()];
        this.runBytes = new long[elements.size()];
    }

    /** A profile of one run, or null (logged once) when this JVM cannot count allocations per thread. */
    static MemProfile start(Logger log, byte[] kinds, SourcePad[] srcAt, SinkPad[] snkAt, Element[] inlAt) {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        if (!(bean instanceof com.sun.management.ThreadMXBean threads)
                || !threads.isThreadAllocatedMemorySupported()) {
            log.trace("MEMPROF: this JVM cannot count the bytes a thread allocates; running without the profile");
            return null;
        }
        if (!threads.isThreadAllocatedMemoryEnabled()) {
            threads.setThreadAllocatedMemoryEnabled(true);
        }
        return new MemProfile(log, threads, kinds, srcAt, snkAt, inlAt);
    }

    private Element elementAt(int i) {
        return kinds[i] == Pipeline.SOURCE_PAD ? srcAt[i].element() : kinds[i] == Pipeline.SINK_PAD ? snkAt[i].element() : inlAt[i];
    }

    /** One loop, as {@code Pipeline.executeLoop}, measuring each node; logs the loop's line. */
    void executeLoop(long loop) {
        java.util.Arrays.fill(loopBytes, 0);
        long loopStart = threads.getCurrentThreadAllocatedBytes();
        long before = loopStart;
        int i = 0;
        try {
            for (; i < kinds.length; i++) {
                Pipeline.runNode(kinds, srcAt, snkAt, inlAt, i);
                long after = threads.getCurrentThreadAllocatedBytes();
                loopBytes[elementOf[i]] += after - before;
                before = after;
            }
        } catch (Exception | AssertionError e) {
            throw Pipeline.nodeFailed(kinds, srcAt, snkAt, inlAt, i, loop, e);
        }
        long total = before - loopStart;
        sinceStart += total;
        loopsRun++;
        for (int e = 0; e < loopBytes.length; e++) {
            runBytes[e] += loopBytes[e];
        }
        Runtime rt = Runtime.getRuntime();
        log.trace("MEMPROF loop {}: {} bytes allocated (top: {}); {} bytes since the run started;"
                + " heap in use {} KiB", loop, total, top(loopBytes, TOP), sinceStart, (rt.totalMemory() - rt.freeMemory()) >> 10);
    }

    /** Logs the run's totals per element. */
    void finish() {
        log.trace("MEMPROF run: {} loops, {} bytes allocated by the pipeline's thread; by element: {}", loopsRun,
                sinceStart, top(runBytes, elements.size()));
    }

    /** The bytes allocated by each element in the last loop, by element name (for tests). */
    Map<String, Long> lastLoop() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (int e = 0; e < loopBytes.length; e++) {
            out.put(elements.get(e).name(), loopBytes[e]);
        }
        return out;
    }

    /** {@code "a=123, b=45"}: the {@code n} largest non-zero counts, largest first. */
    private String top(long[] bytes, int n) {
        Integer[] order = new Integer[bytes.length];
        for (int e = 0; e < order.length; e++) {
            order[e] = e;
        }
        java.util.Arrays.sort(order, (a, b) -> Long.compare(bytes[b], bytes[a]));
        StringBuilder out = new StringBuilder();
        for (int k = 0; k < order.length && k < n && bytes[order[k]] > 0; k++) {
            if (out.length() > 0) {
                out.append(", ");
            }
            out.append(elements.get(order[k]).name()).append('=').append(bytes[order[k]]);
        }
        return out.length() == 0 ? "none" : out.toString();
    }
}
