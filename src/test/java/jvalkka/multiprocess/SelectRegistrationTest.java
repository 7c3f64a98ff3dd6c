package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A loop that selects on the same channels call after call (every backend's
 * {@code readPipes__}) leaves their registrations with the thread's selector as
 * they are: no walk of the selector's keys, no key looked up, no interest changed
 * per call. Channels a call leaves out stop being watched, and come back when
 * named again.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SelectRegistrationTest {

    @AfterEach
    void nothingLeft() throws Exception {
        Leftovers.assertNone();
    }

    private static MessagePipe[] pair() throws Exception {
        return TcpFrameChannelTest.loopbackPair();
    }

    @Test
    void aLoopOnTheSameChannelsLeavesTheirRegistrationsAlone() throws Exception {
        MessagePipe[] p = pair();
        Pipe nio = Pipe.open();
        try {
            List<Object> reads = List.of(p[0], nio.source());
            assertTrue(Select.safeSelect(reads, List.of(), List.of(), 0).isEmpty());
            long before = Select.registrationPasses();
            for (int i = 0; i < 100; i++) {
                p[1].send(new MessageObject("ping", "i", i));
                p[1].flush();
                Select.Ready r = Select.safeSelect(reads, List.of(), List.of(), 10);
                assertEquals(List.of(p[0]), r.reads(), "call " + i);
                assertEquals(i, (int) p[0].recv().get("i"));
            }
            assertEquals(before, Select.registrationPasses(),
                    "calls on the same channels went through the selector's registrations again");
        } finally {
            p[0].close();
            p[1].close();
            nio.source().close();
            nio.sink().close();
        }
    }

    @Test
    void aChannelLeftOutIsNotWatchedAndIsAgainWhenNamed() throws Exception {
        MessagePipe[] p = pair();
        Pipe nio = Pipe.open();
        try {
            List<Object> both = List.of(p[0], nio.source());
            List<Object> pipeOnly = List.of(p[0]);
            assertTrue(Select.safeSelect(both, List.of(), List.of(), 0).isEmpty());
            nio.sink().write(ByteBuffer.wrap(new byte[] {1}));
            assertEquals(List.of(nio.source()), Select.safeSelect(both, List.of(), List.of(), 10).reads());
            // the nio pipe stays readable, but a call that leaves it out neither reports it nor wakes for it
            assertTrue(Select.safeSelect(pipeOnly, List.of(), List.of(), 0.05).isEmpty());
            assertTrue(Select.safeSelect(pipeOnly, List.of(), List.of(), 0).isEmpty());
            p[1].send(new MessageObject("ping"));
            p[1].flush();
            assertEquals(List.of(p[0]), Select.safeSelect(pipeOnly, List.of(), List.of(), 10).reads());
            assertEquals("ping", p[0].recv().command());
            assertEquals(List.of(nio.source()), Select.safeSelect(both, List.of(), List.of(), 10).reads(),
                    "named again, the channel is watched again");
            // the same channel for reading and writing, then for reading only
            assertEquals(List.of(nio.sink()), Select.safeSelect(List.of(), List.of(nio.sink()), List.of(), 10).writes());
            p[1].close();
            assertEquals(both, Select.safeSelect(both, List.of(), List.of(), 10).reads(),
                    "a pipe whose other end closed is reported");
        } finally {
            p[0].close();
            p[1].close();
            nio.source().close();
            nio.sink().close();
        }
    }
}
