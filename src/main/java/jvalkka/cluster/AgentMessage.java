package jvalkka.cluster;

import java.util.List;
import java.util.Objects;

import org.apache.pekko.actor.typed.ActorRef;

/**
 * The messages between node agents and drivers. They travel through
 * {@link AgentSerializer}, never through Java serialization (which is off).
 *
 * <p>Starting a backend: a driver sends {@link StartBackend} to an agent, which
 * answers {@link Started} or {@link StartFailed} to {@code replyTo}, and later
 * sends {@link BackendExited} to the driver's {@code driver} actor when the
 * backend ends. The driver ends a backend with {@link StopBackend}. An agent
 * watches every driver that placed a backend on it and stops that driver's
 * backends when it is gone.
 */
public sealed interface AgentMessage permits AgentMessage.Describe, AgentInfo, AgentMessage.StartBackend,
        AgentMessage.Started, AgentMessage.StartFailed, AgentMessage.StopBackend, AgentMessage.BackendExited {
    /** Asks an agent for its {@link AgentInfo}. */
    record Describe(ActorRef<AgentInfo> replyTo) implements AgentMessage {
    }

    /**
     * Asks an agent to start a backend on its host.
     *
     * @param id the driver's number for this start, repeated in the replies and in {@link BackendExited}
     * @param label the process's label ({@code -Djvalkka.process=LABEL})
     * @param jvmArgs the backend's JVM options
     * @param bootLine written to the backend's standard input, followed by nothing
     * @param replyTo gets {@link Started} or {@link StartFailed}
     * @param driver the driver's actor: gets {@link BackendExited}, and is watched by the agent
     */
    record StartBackend(long id, String label, List<String> jvmArgs, String bootLine, ActorRef<AgentMessage> replyTo,
            ActorRef<AgentMessage> driver) implements AgentMessage {
        /**
         * Checks the components and copies the options.
         *
         * @param id the driver's number for this start
         * @param label the process's label
         * @param jvmArgs the backend's JVM options, copied
         * @param bootLine the boot line
         * @param replyTo gets the answer
         * @param driver gets the exit
         */
        public StartBackend {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(bootLine, "bootLine");
            Objects.requireNonNull(replyTo, "replyTo");
            Objects.requireNonNull(driver, "driver");
            jvmArgs = List.copyOf(jvmArgs);
        }
    }

    /**
     * The backend of start {@code id} runs as {@code pid} on the agent's host.
     *
     * @param id the start's number
     * @param pid the backend's process id on the agent's host
     */
    record Started(long id, long pid) implements AgentMessage {
    }

    /**
     * Start {@code id} failed.
     *
     * @param id the start's number
     * @param reason why, for the user
     */
    record StartFailed(long id, String reason) implements AgentMessage {
    }

    /**
     * Asks an agent to end one of the backends it started (others are ignored).
     *
     * @param pid the backend's process id on the agent's host
     * @param forcibly SIGKILL rather than SIGTERM
     */
    record StopBackend(long pid, boolean forcibly) implements AgentMessage {
    }

    /**
     * A backend an agent started has ended.
     *
     * @param id the start's number
     * @param pid its process id on the agent's host
     * @param status its exit status
     * @param lastLines the last lines (at most 20) of its standard error, possibly empty
     */
    record BackendExited(long id, long pid, int status, String lastLines) implements AgentMessage {
    }
}
