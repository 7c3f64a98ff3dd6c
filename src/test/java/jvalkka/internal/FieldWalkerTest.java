package jvalkka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The one walk over an object's serialized reference fields, which Serializability and RemoteCrossing share. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class FieldWalkerTest {
    static class Base {
        Object inherited = "from the base";
        static Object shared = "static";
    }

    static class Leaf extends Base {
        Object own = "own";
        transient Object skipped = "transient";
        int primitive = 3;
        Object none;
    }

    @Test
    void aWalkVisitsTheReferenceFieldsOfTheWholeClassChainOwnClassFirst() {
        List<String> seen = new ArrayList<>();
        Object r = FieldWalker.walk(new Leaf(), (k, f, v) -> {
            seen.add(k.getSimpleName() + "." + f.getName() + "=" + v);
            return null;
        });
        assertNull(r);
        assertEquals(List.of("Leaf.own=own", "Leaf.none=null", "Base.inherited=from the base"), seen);
    }

    @Test
    void aWalkEndsAtTheFirstVisitThatGivesAResult() {
        List<String> seen = new ArrayList<>();
        String r = FieldWalker.walk(new Leaf(), (k, f, v) -> {
            seen.add(f.getName());
            return f.getName().equals("none") ? "found " + f.getName() : null;
        });
        assertEquals("found none", r);
        assertEquals(List.of("own", "none"), seen);
    }
}
