package jvalkka.cluster;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.pekko.actor.typed.ActorSystem;

/** The one way the agent and the driver stop their actor system. */
final class ActorSystems {
    private ActorSystems() {
    }

    /** Leaves the cluster and stops {@code system}, waiting up to 10 s for it to terminate. */
    static void terminate(ActorSystem<?> system) {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // terminated as far as it could
        }
    }
}
