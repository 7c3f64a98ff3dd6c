package jvalkka.tutorial;

import java.io.Serializable;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import jvalkka.cluster.AgentInfo;
import jvalkka.cluster.ClusterDriver;
import jvalkka.cluster.ClusterSettings;
import jvalkka.multiprocess.BackendOptions;
import jvalkka.multiprocess.MainContext;
import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessagePipe;
import jvalkka.multiprocess.MessageProcess;
import jvalkka.multiprocess.PipeClosedException;
import jvalkka.multiprocess.Placement;
import jvalkka.multiprocess.Restarter;
import jvalkka.multiprocess.Select;
import jvalkka.pool.ProcessQueue;

/**
 * Part IV: step 7's manager with its workers spread over the nodes of a cluster, then a
 * {@link ProcessQueue} across the same nodes. {@code scripts/cluster-demo} starts three node
 * agents on this machine and runs it; on real hosts, start {@code scripts/node} on each and
 * run this with their seed address (tutorial/part4.md).
 *
 * <p>Arguments: {@code --seed HOST:PORT} (repeat), {@code --keys DIR} (from
 * {@code scripts/node-keys}), {@code [--bind ADDRESS (127.0.0.1)] [--nodes N (3)]
 * [--workers W (3)] [--jobs J per worker (2)] [--items K (12)] [-v]}. Log lines at INFO (DEBUG
 * with {@code -v}); it ends with a summary line and exits with status 1 if a worker died, a
 * job or an item was lost, or a result came back out of order.
 */
public final class ClusterDemo {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterDemo.class.getName());

    private ClusterDemo() {
    }

    /** Where a backend runs: its host name and its parent, the node agent that started it. */
    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    /** The pid of this JVM's parent (a remote backend's parent is its node agent), or -1. */
    static long parentPid() {
        return ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
    }

    /**
     * A worker: {@code doWork(job)} makes its backend compute and answer with a "ready" message
     * carrying the result and where it ran. Step 7's worker wrote into a shared array and the
     * manager read it; a backend on another host shares no memory with the manager (a
     * SharedArray field in a remotely placed process fails start()), so the answer travels in
     * the message itself.
     */
    static final class WorkerProcess extends MessageProcess {
        WorkerProcess(String name) {
            super(name);
        }

        // Backend methods (they run in the backend JVM, on the node)

        void c__doWork(int job) {
            long sum = compute(job);
            logger.info("c__doWork: job {} computed {} on {}", job, sum, hostName());
            send_out__(new MessageObject("ready", "job", job, "value", sum, "host", hostName(),
                    "agentPid", parentPid()));
        }

        // Frontend methods

        void doWork(int job) {
            logger.debug("doWork : job {}", job);
            sendMessageToBack(new MessageObject("doWork", "job", job));
        }
    }

    /** Job {@code job}'s work (1, 2 or 3 units): the backend computes it, the manager checks the answer with it. */
    static long compute(int job) {
        long n = 200_000L * (1 + (job - 1) % 3);
        long sum = 0;
        for (long k = 1; k <= n; k++) {
            sum += k * k % 7;
        }
        return sum;
    }

    /** The manager: starts one worker per placement, hands out jobs, and checks each answer. */
    static final class Manager extends MainContext {
        private final List<Placement> placements;
        private final int jobsPerWorker;
        private final Map<Long, String> nodeByAgentPid;
        private final Duration quiet;
        private List<WorkerProcess> cache;
        private Map<MessagePipe, WorkerProcess> processByPipe;
        private final Map<WorkerProcess, Placement> placedOn = new HashMap<>();
        private List<Object> readPipes;
        private int nextJob = 1;
        private int jobsDone;
        private int jobsWrong;
        private int workersLost;
        private boolean signalled;                         // SIGTERM or Ctrl+C: the program ends after the manager
        private final Map<String, Integer> jobsByNode = new TreeMap<>();

        Manager(List<Placement> placements, int jobsPerWorker, Map<Long, String> nodeByAgentPid, Duration quiet) {
            this.placements = placements;
            this.jobsPerWorker = jobsPerWorker;
            this.nodeByAgentPid = nodeByAgentPid;
            this.quiet = quiet;
            start(); // startProcesses(), startThreads()
        }

        @Override
        protected void startProcesses() {
            cache = new ArrayList<>();
            processByPipe = new HashMap<>();
            readPipes = new ArrayList<>(List.of(auxPipeRead));
            for (int i = 0; i < placements.size(); i++) {
                WorkerProcess p = new WorkerProcess("worker-" + i);
                p.ignoreSIGINT(); // SIGINT is for the manager, which stops the workers
                // the only line that differs from a manager on one host: where the backend runs
                p.setOptions(BackendOptions.defaults().withPlacement(placements.get(i)));
                placedOn.put(p, placements.get(i));
                cache.add(p);
                processByPipe.put(p.getPipe(), p);
                readPipes.add(p.getPipe());
            }
            logger.info("startProcesses: starting {} workers on the nodes", cache.size());
            MessageProcess.startAll(cache); // the nodes' agents start the backend JVMs in parallel
            logger.info("startProcesses: all workers running");
        }

        @Override
        protected void startThreads() {
            // no threads in this app
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            if (cache != null) {
                for (WorkerProcess p : cache) {
                    p.requestStop();
                }
                for (WorkerProcess p : cache) {
                    p.waitStop();
                }
            }
            super.close();
        }

        /** Hands out jobs until every worker has done its share, a stop is asked, or nothing is heard for too long. */
        @Override
        public void run() {
            int total = jobsPerWorker * cache.size();
            for (WorkerProcess p : cache) {
                handOut(p, total);
            }
            loop = true;
            while (loop && jobsDone + jobsWrong < total && !cache.isEmpty()) {
                Select.Ready r = Select.safeSelect(readPipes, List.of(), List.of(), quiet.toMillis() / 1000.0);
                if (r.reads().isEmpty()) {
                    logger.error("no answer from any worker for {} s: giving up", quiet.toSeconds());
                    break;
                }
                for (Object pipe : r.reads()) {
                    if (pipe == auxPipeRead) {
                        signalled = readAux() != Aux.STOP;
                        logger.warn("{}: leaving the loop", signalled ? "SIGTERM or CTRL-C" : "stop requested");
                        loop = false;
                        continue;
                    }
                    WorkerProcess p = processByPipe.get(pipe);
                    if (p == null) {
                        continue;
                    }
                    try {
                        handleMessage__(p, p.getPipe().recv(), total);
                    } catch (PipeClosedException e) {
                        forget(p);
                    }
                }
            }
        }

        private void handOut(WorkerProcess p, int total) {
            if (nextJob <= total) {
                p.doWork(nextJob++);
            }
        }

        void handleMessage__(WorkerProcess p, MessageObject msg, int total) {
            if (msg == null) {
                return;
            }
            if (Restarter.isExited(msg)) {
                // a remote worker's exit names its node: "node n2 (127.0.0.1) unreachable", ...
                logger.error("handleMessage__ : {} died: {}", p, msg);
                workersLost++;
                forget(p);
                return;
            }
            int job = ((Number) msg.get("job")).intValue();
            long value = ((Number) msg.get("value")).longValue();
            long agentPid = ((Number) msg.get("agentPid")).longValue();
            String node = nodeByAgentPid.getOrDefault(agentPid, "?");
            if (value != compute(job)) {
                jobsWrong++;
                logger.error("handleMessage__ : {} answered {} for job {}, expected {}", p, value, job, compute(job));
            } else {
                jobsDone++;
                jobsByNode.merge(node, 1, Integer::sum);
                logger.info("handleMessage__ : {} answered job {} = {} from node {} (host {}, placed {})", p.getName(),
                        job, value, node, msg.get("host"), placedOn.get(p));
            }
            handOut(p, total);
        }

        private void forget(WorkerProcess p) {
            cache.remove(p);
            processByPipe.remove(p.getPipe());
            readPipes.remove(p.getPipe());
        }
    }

    /** What one ProcessQueue item came back as: the item, its square and the agent that ran it. */
    public record Answer(int item, long square, long agentPid) implements Serializable {
    }

    static String arg(List<String> args, String name, String dflt) {
        int i = args.indexOf(name);
        if (i < 0) {
            return dflt;
        }
        if (i + 1 >= args.size()) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args.get(i + 1);
    }

    static List<String> seeds(List<String> args) {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < args.size() - 1; i++) {
            if (args.get(i).equals("--seed")) {
                s.addAll(Arrays.asList(args.get(i + 1).split(",")));
            }
        }
        return s;
    }

    public static void main(String[] argv) throws Exception {
        List<String> args = new ArrayList<>(Arrays.asList(argv));
        boolean debug = args.remove("-v") | "1".equals(System.getenv("JVALKKA_DEMO_DEBUG"));
        Level level = debug ? Level.DEBUG : Level.INFO;
        MainContext.formatLogger(ClusterDemo.class, level);
        MainContext.formatLogger(Manager.class, level);
        MessageProcess.formatLogger(WorkerProcess.class, level);
        String keys = arg(args, "--keys", null);
        List<String> seeds = seeds(args);
        if (keys == null || seeds.isEmpty()) {
            System.err.println("usage: ClusterDemo --seed HOST:PORT [--seed ...] --keys DIR [--bind ADDRESS] "
                    + "[--nodes 3] [--workers 3] [--jobs 2] [--items 12] [-v]");
            System.exit(2);
        }
        int nodes = Integer.parseInt(arg(args, "--nodes", "3"));
        int workers = Integer.parseInt(arg(args, "--workers", "3"));
        int jobs = Integer.parseInt(arg(args, "--jobs", "2"));
        int items = Integer.parseInt(arg(args, "--items", "12"));
        long t0 = System.nanoTime();
        boolean ok;
        // 1. join the cluster as a driver: a member that places backends on the agents' nodes
        try (ClusterDriver driver = ClusterDriver.join(ClusterSettings.bind(arg(args, "--bind", "127.0.0.1"), 0)
                .withSeeds(seeds).withKeys(Path.of(keys)))) {
            LOG.info("joined the cluster as {}; waiting for {} nodes", driver.address(), nodes);
            List<AgentInfo> agents = new ArrayList<>(driver.awaitAgents(nodes, Duration.ofSeconds(60)));
            agents.sort(java.util.Comparator.comparing(AgentInfo::host)); // n1, n2, n3: round robin in name order
            Map<Long, String> nodeByAgentPid = new HashMap<>();
            for (AgentInfo a : agents) {
                LOG.info("node {}: {} cores, labels {}, agent pid {}, at {}", a.host(), a.cores(), a.labels(), a.pid(),
                        a.address());
                // pids identify the agent among nodes of one machine; on many hosts two agents may share a pid
                nodeByAgentPid.put(a.pid(), a.host());
            }
            // 2. step 7's manager, worker i on node i % N (Placement.any() would let the driver choose)
            List<Placement> placements = new ArrayList<>();
            for (int i = 0; i < workers; i++) {
                placements.add(Placement.node(agents.get(i % agents.size()).host()));
            }
            Manager m = new Manager(placements, jobs, nodeByAgentPid, Duration.ofSeconds(60));
            try {
                m.run();
            } finally {
                m.close();
            }
            if (m.signalled) {
                LOG.warn("stopped by a signal: no process queue; leaving the cluster");
                driver.close();
                System.exit(130);
            }
            LOG.info("manager: {} jobs done on nodes {}, {} wrong, {} workers lost", m.jobsDone, m.jobsByNode,
                    m.jobsWrong, m.workersLost);
            // 3. a ProcessQueue whose workers go round the nodes; map() returns in input order
            Placement[] each = agents.stream().map(a -> Placement.node(a.host())).toArray(Placement[]::new);
            List<Answer> answers;
            try (ProcessQueue<Integer, Answer> q = ProcessQueue.of((Integer x) -> new Answer(x, (long) x * x,
                    parentPid())).name("squares").workers(agents.size()).placements(each).start()) {
                answers = q.map(IntStream.range(0, items).boxed().toList());
            }
            Map<String, Integer> itemsByNode = new TreeMap<>();
            boolean inOrder = answers.size() == items;
            for (int i = 0; i < answers.size(); i++) {
                Answer a = answers.get(i);
                inOrder &= a.item() == i && a.square() == (long) i * i;
                itemsByNode.merge(nodeByAgentPid.getOrDefault(a.agentPid(), "?"), 1, Integer::sum);
                LOG.debug("item {} -> {} on node {}", a.item(), a.square(), nodeByAgentPid.get(a.agentPid()));
            }
            LOG.info("process queue: {} items on nodes {}, results in input order: {}", answers.size(), itemsByNode,
                    inOrder);
            ok = m.workersLost == 0 && m.jobsWrong == 0 && m.jobsDone == jobs * workers && inOrder
                    && !itemsByNode.containsKey("?") && !m.jobsByNode.containsKey("?");
            LOG.info("summary: {} nodes, {} workers, {} jobs done, {} items in order, {} s: {}", agents.size(),
                    workers, m.jobsDone, inOrder ? answers.size() : 0,
                    String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9), ok ? "ok" : "FAILED");
        }
        System.exit(ok ? 0 : 1);
    }
}
