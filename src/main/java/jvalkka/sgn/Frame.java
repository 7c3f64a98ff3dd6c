package jvalkka.sgn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The unit of data that flows through a pipeline: a payload ({@link #data()}), an end-of-stream
 * flag ({@link #isEOS()}), a gap flag ({@link #isGap()}: "no valid data here"), free-form
 * {@link #metadata()} and an optional {@link DataSpec}.
 *
 * <p>A frame is a plain mutable object, as in SGN, and may be subclassed to carry typed payloads.
 * Ownership: a source pad's frame is shared by every sink pad linked to it within one loop of the
 * pipeline, so an element that changes a frame it received changes it for the others too; make a
 * new frame instead when that matters. The pipeline never reuses frames, so a sink may keep the
 * frames it receives. Not thread-safe.
 */
public class Frame {
    private static final int MAX_DATA_CHARS_IN_TO_STRING = 120;

    private Object data;
    private boolean eos;
    private boolean gap;
    private DataSpec spec;
    private Map<String, Object> metadata; // created on first use: most frames carry none

    /** An empty frame: no data, not EOS, not a gap. */
    public Frame() {
    }

    /**
     * A frame carrying {@code data}; not EOS, not a gap.
     *
     * @param data the frame's data
     */
    public Frame(Object data) {
        this.data = data;
    }

    /**
     * A frame carrying {@code data}, with the given EOS and gap flags.
     *
     * @param data the frame's data
     * @param eos whether this is the end of the stream
     * @param gap whether the frame is a gap (carries no data)
     */
    public Frame(Object data, boolean eos, boolean gap) {
        this.data = data;
        this.eos = eos;
        this.gap = gap;
    }

    /**
     * A frame with every field given; {@code metadata} is copied, {@code null} means none.
     *
     * @param data the frame's data
     * @param eos whether this is the end of the stream
     * @param gap whether the frame is a gap (carries no data)
     * @param spec the specification
     * @param metadata extra entries
     */
    public Frame(Object data, boolean eos, boolean gap, DataSpec spec, Map<String, ?> metadata) {
        this.data = data;
        this.eos = eos;
        this.gap = gap;
        this.spec = spec;
        if (metadata != null && !metadata.isEmpty()) {
            this.metadata = new LinkedHashMap<>(metadata);
        }
    }

    /**
     * An end-of-stream frame with no data (a gap).
     *
     * @return an end-of-stream frame with no data (a gap)
     */
    public static Frame eos() {
        return new Frame(null, true, true);
    }

    /**
     * A gap frame: no valid data this loop, the stream goes on.
     *
     * @return a gap frame: no valid data this loop, the stream goes on
     */
    public static Frame gap() {
        return new Frame(null, false, true);
    }

    /**
     * The payload; may be {@code null}.
     *
     * @return the payload; may be {@code null}
     */
    public Object data() {
        return data;
    }

    /**
     * The payload cast to {@code type}; {@code null} stays {@code null}.
     *
     * @param <T> the type of the items
     * @param type the type
     * @return the payload cast to {@code type}; {@code null} stays {@code null}
     */
    public <T> T data(Class<T> type) {
        return type.cast(data);
    }

    /**
     * Replaces the payload; returns this frame.
     *
     * @param data the new payload
     * @return this
     */
    public Frame setData(Object data) {
        this.data = data;
        return this;
    }

    /**
     * Whether this frame ends the stream on its pad (SGN's {@code EOS}).
     *
     * @return whether this frame ends the stream on its pad (SGN's {@code EOS})
     */
    public boolean isEOS() {
        return eos;
    }

    /**
     * Sets the end-of-stream flag; returns this frame.
     *
     * @param eos whether the frame ends its stream
     * @return this
     */
    public Frame setEOS(boolean eos) {
        this.eos = eos;
        return this;
    }

    /**
     * Whether this frame is a gap: it holds no valid data (SGN's {@code is_gap}).
     *
     * @return whether this frame is a gap: it holds no valid data (SGN's {@code is_gap})
     */
    public boolean isGap() {
        return gap;
    }

    /**
     * Sets the gap flag; returns this frame.
     *
     * @param gap whether the frame carries no data
     * @return this
     */
    public Frame setGap(boolean gap) {
        this.gap = gap;
        return this;
    }

    /**
     * The data spec, or {@code null} when the stream declares none.
     *
     * @return the data spec, or {@code null} when the stream declares none
     */
    public DataSpec spec() {
        return spec;
    }

    /**
     * Sets the data spec; returns this frame.
     *
     * @param spec the data spec
     * @return this
     */
    public Frame setSpec(DataSpec spec) {
        this.spec = spec;
        return this;
    }

    /**
     * The metadata map, created empty on first call; changes go into this frame.
     *
     * @return the metadata map, created empty on first call; changes go into this frame
     */
    public Map<String, Object> metadata() {
        if (metadata == null) {
            metadata = new LinkedHashMap<>();
        }
        return metadata;
    }

    /**
     * Whether this frame carries any metadata, without creating the map.
     *
     * @return whether this frame carries any metadata, without creating the map
     */
    public boolean hasMetadata() {
        return metadata != null && !metadata.isEmpty();
    }

    /**
     * A one-line description for logs, e.g. {@code Frame(data=10)} or
     * {@code Frame(data=null, EOS, gap)}; long payloads are cut short.
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append("(data=");
        String d = describe(data);
        if (d.length() > MAX_DATA_CHARS_IN_TO_STRING) {
            sb.append(d, 0, MAX_DATA_CHARS_IN_TO_STRING).append("...(").append(d.length()).append(" chars)");
        } else {
            sb.append(d);
        }
        if (eos) {
            sb.append(", EOS");
        }
        if (gap) {
            sb.append(", gap");
        }
        if (spec != null) {
            sb.append(", spec=").append(spec);
        }
        if (hasMetadata()) {
            sb.append(", metadata=").append(metadata);
        }
        return sb.append(')').toString();
    }

    private static String describe(Object data) {
        if (data == null) {
            return "null";
        }
        if (data.getClass().isArray()) {
            String s = Arrays.deepToString(new Object[] {data});
            return data.getClass().getComponentType().getSimpleName() + "[]" + s.substring(1, s.length() - 1);
        }
        return Objects.toString(data);
    }
}
