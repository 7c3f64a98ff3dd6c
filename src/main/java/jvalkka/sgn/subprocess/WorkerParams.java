package jvalkka.sgn.subprocess;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jvalkka.internal.ValueCodec;
import jvalkka.internal.ValueReader;
import jvalkka.internal.ValueWriter;

/**
 * What a {@link WorkerProcess} carries to its JVM besides names and sizes: the element's
 * fields ({@link ParallelState#captureFields}) and the toShm segments' names and metadata,
 * as one string, so that the process object itself holds only plain values and crosses
 * without Java serialization (see {@code ProcessTransfer}: an {@code ObjectInputStream}
 * costs a JVM milliseconds of CPU before it reads a byte, and a worker's start waits for
 * it). When every field value is a string, a boxed primitive or null and no segment has
 * metadata (the usual case), the string holds {@link ValueCodec}'s encoding of them, which
 * reads back equal and of the same classes; otherwise it holds their Java serialization,
 * read in the worker JVM with its context class loader, as the process object was before.
 * The bytes are kept one char each (ISO-8859-1), so the string reads back byte for byte.
 */
final class WorkerParams {
    private static final char PLAIN = 'P';
    private static final char SERIALIZED = 'J';

    /** The element's fields, by {@code "declaringClass#field"}. */
    final LinkedHashMap<String, Object> fields;
    /** The toShm segments' names, in {@code shmList} order. */
    final List<String> shmNames;
    /** Their metadata, one map per name. */
    final List<Map<String, Object>> shmMetadata;

    private WorkerParams(LinkedHashMap<String, Object> fields, List<String> shmNames,
            List<Map<String, Object>> shmMetadata) {
        this.fields = fields;
        this.shmNames = shmNames;
        this.shmMetadata = shmMetadata;
    }

    /**
     * Main side: the string for {@link #decode}.
     *
     * @throws IllegalArgumentException when a value cannot be serialized (captureFields has
     *     checked the fields already, naming the field)
     */
    static String encode(LinkedHashMap<String, Object> fields, List<ShmRef> shm) {
        byte[] bytes = isPlain(fields, shm) ? plain(fields, shm) : serialized(fields, shm);
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static boolean isPlain(Map<String, Object> fields, List<ShmRef> shm) {
        for (Object v : fields.values()) {
            if (!ValueCodec.isScalar(v)) {
                return false;
            }
        }
        for (ShmRef r : shm) {
            if (!r.metadata().isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private static byte[] plain(Map<String, Object> fields, List<ShmRef> shm) {
        ValueWriter.OnArray out = ValueWriter.onArray(256, null);
        out.putByte(PLAIN);
        out.putInt(fields.size());
        for (Map.Entry<String, Object> f : fields.entrySet()) {
            out.putString(f.getKey());
            out.value(f.getValue());
        }
        out.putInt(shm.size());
        for (ShmRef r : shm) {
            out.putString(r.name());
        }
        return out.toByteArray();
    }

    private static byte[] serialized(LinkedHashMap<String, Object> fields, List<ShmRef> shm) {
        ArrayList<String> names = new ArrayList<>();
        ArrayList<HashMap<String, Object>> metadata = new ArrayList<>();
        for (ShmRef r : shm) {
            names.add(r.name());
            metadata.add(new HashMap<>(r.metadata()));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        bytes.write(SERIALIZED);
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(fields);
            out.writeObject(names);
            out.writeObject(metadata);
        } catch (IOException e) {
            throw new IllegalArgumentException("the element's fields or the toShm metadata cannot be serialized: " + e, e);
        }
        return bytes.toByteArray();
    }

    /** Worker JVM: what {@link #encode} wrote; classes are resolved with {@code loader}. */
    @SuppressWarnings("unchecked")
    static WorkerParams decode(String s, ClassLoader loader) throws IOException, ClassNotFoundException {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        if (b.length == 0) {
            throw new IOException("no worker parameters");
        }
        if (b[0] == SERIALIZED) {
            try (ObjectInputStream in = new jvalkka.internal.LoaderObjectInputStream(
                    new ByteArrayInputStream(b, 1, b.length - 1), loader)) {
                LinkedHashMap<String, Object> fields = (LinkedHashMap<String, Object>) in.readObject();
                List<String> names = (List<String>) in.readObject();
                List<Map<String, Object>> metadata = (List<Map<String, Object>>) in.readObject();
                return new WorkerParams(fields, names, metadata);
            }
        }
        if (b[0] != PLAIN) {
            throw new IOException("unknown worker parameter encoding " + b[0]);
        }
        try {
            ValueReader in = ValueReader.onArray(b, 1, b.length - 1, null);
            int n = in.getCount("fields", 5);
            LinkedHashMap<String, Object> fields = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                fields.put(in.getString(), in.value());
            }
            int k = in.getCount("segments", 4);
            List<String> names = new ArrayList<>(k);
            List<Map<String, Object>> metadata = new ArrayList<>(k);
            for (int i = 0; i < k; i++) {
                names.add(in.getString());
                metadata.add(new HashMap<>());
            }
            if (in.remaining() != 0) {
                throw new IOException(in.remaining() + " bytes after the worker parameters");
            }
            return new WorkerParams(fields, names, metadata);
        } catch (ValueCodec.MalformedValueException e) {
            throw new IOException("malformed worker parameters: " + e.getMessage(), e);
        }
    }
}
