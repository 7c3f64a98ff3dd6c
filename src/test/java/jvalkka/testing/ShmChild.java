package jvalkka.testing;

import java.util.concurrent.CountDownLatch;

import jvalkka.shm.SharedArray;
import jvalkka.shm.SharedMemory;
import jvalkka.sync.EventGroup;

/**
 * A child JVM for the shared-memory tests. Modes:
 * <ul>
 * <li>{@code write HANDLES INDEX VALUE ACK}: HANDLES is a base64 Object[]{SharedArray, EventGroup}; fills the
 *     array with VALUE, sets event INDEX, then waits (at most 60 s) for the frontend to set event ACK, prints
 *     "done". Staying alive until the ack means only a real cross-process wake can end the frontend's wait.</li>
 * <li>{@code hold HANDLE}: deserializes the EventGroup, prints "ready", blocks until killed.</li>
 * <li>{@code create NAME}: creates segment NAME (4096 bytes), prints "created", blocks until killed.</li>
 * <li>{@code hang}: prints "ready", blocks until killed.</li>
 * </ul>
 */
public final class ShmChild {
    private ShmChild() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "write" -> {
                Object[] h = Handles.decode(args[1]);
                SharedArray a = (SharedArray) h[0];
                EventGroup eg = (EventGroup) h[1];
                a.fill(Double.parseDouble(args[3]));
                eg.set(Integer.parseInt(args[2]));
                boolean acked = eg.fromIndex(Integer.parseInt(args[4])).await(60, java.util.concurrent.TimeUnit.SECONDS);
                System.out.println("done acked=" + acked + " owner=" + a.segment().isOwner() + "," + eg.isOwner());
                a.close();
                eg.close();
            }
            case "hold" -> {
                EventGroup eg = Handles.decode(args[1]);
                System.out.println("ready " + eg.size());
                new CountDownLatch(1).await();
            }
            case "create" -> {
                SharedMemory shm = SharedMemory.create(args[1], 4096);
                System.out.println("created " + shm.name());
                new CountDownLatch(1).await();
            }
            case "hang" -> {
                System.out.println("ready");
                new CountDownLatch(1).await();
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }
}
