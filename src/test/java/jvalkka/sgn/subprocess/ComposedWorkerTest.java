package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.sgn.Compose;
import jvalkka.sgn.ComposedTransformElement;
import jvalkka.sgn.Pipeline;

/** A {@code Parallelize*Element} inside a {@link Compose} gets its worker as one outside does. */
@Timeout(120)
class ComposedWorkerTest {
    @AfterEach
    void nothingLeft() throws Exception {
        new ParallelizeTest().nothingLeft();
    }

    @Test
    void aParallelizeTransformInsideAComposedElementGetsItsWorker() {
        for (boolean threads : new boolean[] {true, false}) {
            TestElements.Squarer sq = threads ? new TestElements.ThreadSquarer() : new TestElements.ProcessSquarer();
            ComposedTransformElement composed = new Compose(sq).asTransform("composed-" + threads);
            TestElements.Collect snk = new TestElements.Collect();
            Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(100), composed, snk);
            try (Parallelize par = new Parallelize(p)) {
                par.run();
            }
            assertEquals(IntStream.rangeClosed(1, 100).map(i -> i * i).boxed().toList(), List.copyOf(snk.got),
                    "threads=" + threads);
        }
    }
}
