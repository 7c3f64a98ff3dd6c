package jvalkka.multiprocess;

import jvalkka.internal.Serializability;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Serializable;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A process object that cannot cross to its backend fails {@code start()} with the fix that
 * applies to what it is: an inner or anonymous class is made static, a lambda Serializable, a
 * record Serializable; only a plain field is told to be transient. Nothing is launched.
 */
@Timeout(60)
class CrossingErrorsTest {
    /** Not static: it holds this test instance, which is not Serializable. */
    class Inner extends MessageProcess {
        Inner() {
            super("inner");
        }
    }

    record Point(int x, int y) {
    }

    record Box(Object content) implements Serializable {
    }

    static class WithField extends MessageProcess {
        Object value;

        WithField(Object value) {
            super("with-field");
            this.value = value;
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    static String startError(MessageProcess p) {
        BackendStartException e = assertThrows(BackendStartException.class, p::start);
        assertFalse(p.isAlive());
        return e.getMessage();
    }

    @Test
    void anInnerProcessClassIsToldToBeStaticNotToMarkThis0Transient() {
        String m = startError(new Inner());
        assertTrue(m.contains("Inner is an inner (non-static) class (" + Inner.class.getName() + ")"), m);
        assertTrue(m.contains("enclosing " + CrossingErrorsTest.class.getName() + " instance"), m);
        assertTrue(m.contains("Make the class static (or top-level)"), m);
        assertFalse(m.contains("Mark the field transient"), m);
    }

    @Test
    void anAnonymousProcessClassIsToldToBeAStaticNestedClass() {
        String m = startError(new MessageProcess("anonymous") {
        });
        assertTrue(m.contains("is an anonymous class"), m);
        assertTrue(m.contains("Make the class static (or top-level)"), m);
        assertFalse(m.contains("Mark the field transient"), m);
    }

    @Test
    void aLambdaOfANonSerializableInterfaceIsToldHowToMakeItSerializable() {
        Runnable r = () -> { };
        String m = startError(new WithField(r));
        assertTrue(m.contains("WithField.value is a lambda (defined in " + CrossingErrorsTest.class.getName()
                + ") whose interface java.lang.Runnable is not Serializable"), m);
        assertTrue(m.contains("(Runnable & java.io.Serializable)"), m);
    }

    @Test
    void aSerializableLambdaCapturingAValueThatIsNotIsToldWhatItCaptures() {
        Object notSerializable = new Object();
        Supplier<String> s = (Supplier<String> & Serializable) () -> notSerializable.toString();
        String m = startError(new WithField(s));
        assertTrue(m.contains("a lambda in " + CrossingErrorsTest.class.getName()
                + " captures a java.lang.Object, which is not Serializable"), m);
    }

    @Test
    void aSerializableLambdaUsingThisIsToldItCapturesTheEnclosingInstance() {
        Supplier<String> s = (Supplier<String> & Serializable) () -> this.toString();
        String m = startError(new WithField(s));
        assertTrue(m.contains("uses 'this'"), m);
        assertTrue(m.contains("captures the enclosing " + CrossingErrorsTest.class.getName() + " instance"), m);
    }

    @Test
    void aRecordThatIsNotSerializableIsToldToImplementSerializable() {
        String m = startError(new WithField(new Point(1, 2)));
        assertTrue(m.contains("WithField.value is a record " + Point.class.getName() + " that is not Serializable"), m);
        assertTrue(m.contains("'record Point(...) implements java.io.Serializable'"), m);
    }

    @Test
    void aRecordComponentThatIsNotSerializableIsNamed() {
        String m = startError(new WithField(new Box(new Object())));
        assertTrue(m.contains("WithField.value.content: component 'content' of record " + Box.class.getName()
                + " is a java.lang.Object, which is not Serializable"), m);
    }

    @Test
    void aPlainFieldIsStillToldToBeTransient() {
        String m = startError(new WithField(new Object()));
        assertTrue(m.contains("field WithField.value (a java.lang.Object) cannot cross: it is not Serializable."
                + " Mark the field transient and create it in preRun__ (backend), or make its class Serializable"), m);
    }

    @Test
    void aSerializableValueHasNoError() {
        assertTrue(Serializability.whyNot(new Box("text"), "box", "Mark it transient") == null);
        Supplier<String> s = (Supplier<String> & Serializable) () -> "constant";
        assertTrue(Serializability.whyNot(s, "lambda", "Mark it transient") == null);
    }
}
