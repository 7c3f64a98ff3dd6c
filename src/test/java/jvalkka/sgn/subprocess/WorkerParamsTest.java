package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import jvalkka.multiprocess.MessageProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a process-mode worker's parameters become in its JVM: equal values of the same classes,
 * in order, whichever of the two forms carries them; and the worker process itself stays plain.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WorkerParamsTest {
    private static WorkerParams roundTrip(LinkedHashMap<String, Object> fields, List<ShmRef> shm) throws Exception {
        return WorkerParams.decode(WorkerParams.encode(fields, shm), WorkerParamsTest.class.getClassLoader());
    }

    @Test
    void plainFieldsComeBackEqualOfTheSameClassesInOrder() throws Exception {
        LinkedHashMap<String, Object> fields = new LinkedHashMap<>();
        fields.put("A#s", "päivää \u20ac");
        fields.put("A#i", 7);
        fields.put("A#l", 1L << 40);
        fields.put("A#d", 2.5);
        fields.put("A#f", 1.5f);
        fields.put("A#sh", (short) 3);
        fields.put("A#b", (byte) -4);
        fields.put("A#c", 'x');
        fields.put("A#z", true);
        fields.put("A#n", null);
        WorkerParams p = roundTrip(fields, List.of(new ShmRef("seg-a", null, Map.of()), new ShmRef("seg-b", null, Map.of())));
        assertEquals(new ArrayList<>(fields.keySet()), new ArrayList<>(p.fields.keySet()));
        for (Map.Entry<String, Object> f : fields.entrySet()) {
            Object back = p.fields.get(f.getKey());
            assertEquals(f.getValue(), back, f.getKey());
            if (back != null) {
                assertEquals(f.getValue().getClass(), back.getClass(), f.getKey());
            }
        }
        assertEquals(List.of("seg-a", "seg-b"), p.shmNames);
        assertEquals(List.of(Map.of(), Map.of()), p.shmMetadata);
    }

    @Test
    void otherValuesAndMetadataComeBackByJavaSerialization() throws Exception {
        LinkedHashMap<String, Object> fields = new LinkedHashMap<>();
        fields.put("A#list", new ArrayList<>(List.of(1, "two")));
        fields.put("A#bytes", new byte[] {0, (byte) 0x80, (byte) 0xff});
        fields.put("A#task", (Runnable & java.io.Serializable) () -> { });
        WorkerParams p = roundTrip(fields, List.of(new ShmRef("seg-m", null, Map.of("slots", 4))));
        assertEquals(List.of(1, "two"), p.fields.get("A#list"));
        assertArrayEquals(new byte[] {0, (byte) 0x80, (byte) 0xff}, (byte[]) p.fields.get("A#bytes"));
        assertTrue(p.fields.get("A#task") instanceof Runnable, String.valueOf(p.fields.get("A#task")));
        assertEquals(List.of("seg-m"), p.shmNames);
        assertEquals(List.of(Map.of("slots", 4)), p.shmMetadata);
    }

    @Test
    void aWorkerProcessCrossesAsPlainFieldValues() throws Exception {
        TestElements.Squarer sq = new TestElements.Squarer();
        WorkerProcess w = new WorkerProcess(sq, "jvsgn-test", 0, 4096, List.of(new ShmRef("seg-m", null, Map.of("k", 1))));
        java.lang.reflect.Method isPlain = Class.forName("jvalkka.multiprocess.ProcessTransfer")
                .getDeclaredMethod("isPlain", MessageProcess.class);
        isPlain.setAccessible(true);
        assertEquals(true, isPlain.invoke(null, w), "the worker process must not need Java serialization to cross");
    }
}
