package jvalkka.pool;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import jvalkka.internal.ValueCodec;
import jvalkka.internal.ValueReader;
import jvalkka.internal.ValueWriter;
import jvalkka.multiprocess.MessageObject;

/**
 * The compact form of a batch and of its answer, for the common case of simple
 * items and results: one string parameter ({@link #PACKED}) holding, in
 * {@link ValueCodec}'s binary form (base64), the batch number, the items'
 * positions, for an answer the compute time, then the values. A message whose
 * only parameter is a string is a plain one, which the core writes and reads
 * without Jackson; the general form ({@code seq}, {@code ids}, {@code items} or
 * {@code values} as typed parameters) goes through Jackson's typed mapper, which
 * costs the worker's main thread, and a JIT that has not compiled it yet, far more
 * per message. With items that take milliseconds, that cost is on every item's
 * path, between one item and the next.
 *
 * <p>Simple values ({@link #simple}) read back equal and of the same class: null,
 * strings, boxed primitives and primitive arrays. Anything else (a record, a list,
 * a map) keeps the general form, as does an answer with a failed item.
 */
final class Batches {
    /** The parameter that holds a batch or an answer in the compact form. */
    static final String PACKED = "b";

    private Batches() {
    }

    /**
     * A decoded batch or answer, in either form: {@code ns} is -1 for a batch;
     * {@code errors} (the failed items' reports, by position) is null in the compact
     * form, which no answer with a failed item takes.
     */
    record Decoded(long seq, long[] ids, long ns, List<?> values, List<?> errors) {
    }

    /**
     * A batch ({@code valuesKey} "items") or an answer ({@code valuesKey} "values")
     * as it came: in the compact form when it holds {@link #PACKED}, else in the
     * general one.
     *
     * @throws IllegalArgumentException when a compact one is malformed
     */
    static Decoded read(MessageObject m, String valuesKey) {
        Object packed = m.get(PACKED);
        if (packed != null) {
            return decode((String) packed);
        }
        return new Decoded(m.get("seq", Long.class), m.get("ids", long[].class),
                m.get("ns") instanceof Number n ? n.longValue() : -1, (List<?>) m.get(valuesKey),
                (List<?>) m.get("errors"));
    }

    /**
     * Whether every value is null, a string, a boxed primitive or a primitive array:
     * the kinds that cross in the compact form unchanged.
     */
    static boolean simple(List<?> values) {
        for (Object v : values) {
            if (!ValueCodec.isScalar(v) && ValueCodec.arrayTag(v) < 0) {
                return false;
            }
        }
        return true;
    }

    /** A batch: its number, the items' positions and the items (check {@link #simple} first). */
    static String encode(long seq, long[] ids, List<?> items) {
        return encode(seq, ids, -1, items);
    }

    /** An answer: the batch number, the positions, the compute time and the values (check {@link #simple}). */
    static String encode(long seq, long[] ids, long ns, List<?> values) {
        ValueWriter.OnArray w = ValueWriter.onArray(32 + 16 * ids.length, null);
        w.value(seq);
        w.value(ns);
        w.value(ids);
        for (Object v : values) {
            w.value(v);
        }
        return Base64.getEncoder().encodeToString(w.toByteArray());
    }

    /**
     * Reads what {@link #encode} wrote.
     *
     * @throws IllegalArgumentException when {@code packed} is not one
     */
    static Decoded decode(String packed) {
        byte[] b = Base64.getDecoder().decode(packed);
        ValueReader r = ValueReader.onArray(b, 0, b.length, null);
        if (!(r.value() instanceof Long seq) || !(r.value() instanceof Long ns) || !(r.value() instanceof long[] ids)) {
            throw new IllegalArgumentException("a malformed compact batch");
        }
        List<Object> values = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            values.add(r.value());
        }
        if (r.remaining() != 0) {
            throw new IllegalArgumentException("a malformed compact batch: " + r.remaining() + " bytes left over");
        }
        return new Decoded(seq, ids, ns, values, null);
    }
}
