package jvalkka.cluster;

/**
 * The messages between node agents and drivers. They travel through
 * {@link AgentSerializer}, never through Java serialization (which is off).
 */
public sealed interface AgentMessage permits AgentMessage.Describe, AgentInfo {
    /** Asks an agent for its {@link AgentInfo}. */
    record Describe(org.apache.pekko.actor.typed.ActorRef<AgentInfo> replyTo) implements AgentMessage {
    }
}
