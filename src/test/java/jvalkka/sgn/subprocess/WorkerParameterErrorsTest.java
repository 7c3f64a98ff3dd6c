package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import jvalkka.sgn.Pipeline;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An element's fields are its worker's parameters: one that cannot cross to the worker JVM fails
 * the start with the fix that applies to what it is (a lambda, an anonymous class, a record),
 * before any worker is launched.
 */
@Timeout(60)
class WorkerParameterErrorsTest {
    record Settings(int level) {
    }

    static class WithParameter extends TestElements.ProcessSquarer {
        Object parameter;

        WithParameter(Object parameter) {
            this.parameter = parameter;
        }
    }

    @AfterEach
    void nothingLeft() throws Exception {
        jvalkka.multiprocess.WarmPool.stopAll(); // the spares Parallelize keeps for the next run
        assertEquals(List.of(), ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .map(h -> h.pid() + " " + jvalkka.testing.CommandLines.of(h)).toList(), "child JVMs left");
        assertEquals(List.of(), ParallelizeTest.ourSegments(), "segments left in /dev/shm");
    }

    static String startError(Object parameter) {
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(3), new WithParameter(parameter),
                new TestElements.Collect());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Parallelize(p).close());
        assertTrue(e.getMessage().contains("a field is a worker parameter"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aLambdaParameterIsToldHowToMakeItSerializable() {
        Runnable r = () -> { };
        String m = startError(r);
        assertTrue(m.contains(WithParameter.class.getName() + ".parameter is a lambda"), m);
        assertTrue(m.contains("(Runnable & java.io.Serializable)"), m);
        assertFalse(m.contains("Mark the field transient"), m);
    }

    @Test
    void anAnonymousClassParameterIsToldToBeAStaticNestedClass() {
        String m = startError(new Object() {
        });
        assertTrue(m.contains("is an anonymous class"), m);
        assertTrue(m.contains("static nested"), m);
    }

    @Test
    void aRecordParameterIsToldToImplementSerializable() {
        String m = startError(new Settings(3));
        assertTrue(m.contains("implements java.io.Serializable"), m);
    }
}
