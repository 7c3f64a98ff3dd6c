package jvalkka.sgn.transforms;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import jvalkka.sgn.Frame;
import jvalkka.sgn.SinkPad;
import jvalkka.sgn.SourcePad;
import jvalkka.sgn.TransformElement;

/**
 * A transform that computes each source pad's data with a function of the frames received on
 * some sink pads. The frame it sends carries the function's result as data, and is EOS (or a
 * gap) when any frame received this loop is EOS (or a gap), as in SGN. The function is called
 * for gap and EOS frames too, so it must cope with {@code null} data:
 * <pre>{@code
 * CallableTransform t1 = CallableTransform.fromCallable("t1",
 *         frame -> frame.data() == null ? null : (Integer) frame.data() * 10, "H1", "H1");
 * }</pre>
 * Functions of several inputs get a {@code Frame[]} in the order their inputs were named; the
 * array is reused from loop to loop, so do not keep it (the frames themselves may be kept).
 */
public class CallableTransform extends TransformElement {
    /**
     * One output: {@code callable} applied to the frames of the sink pads named {@code inputs}
     * makes the data of source pad {@code output}.
     */
    public record Combination(List<String> inputs, Function<? super Frame[], ?> callable, String output) {
        /**
         * A combination of input and output pads.
         *
         * @param inputs the names of the sink pads whose frames {@code callable} takes, in order
         * @param callable makes the output data from those frames
         * @param output the name of the source pad it feeds
         */
        public Combination {
            inputs = List.copyOf(inputs);
            Objects.requireNonNull(callable, "callable");
            Objects.requireNonNull(output, "output");
        }
    }

    private final Frame[] inputs;
    private final int[][] dependencies; // per source pad: sink pad indexes, in argument order
    private final Function<? super Frame[], ?>[] callables;
    private final Frame[][] arguments; // per source pad: reused argument array

    /**
     * @param name         element name, or null for a generated one
     * @param sinkPadNames the sink pads, in order; null or empty to take the inputs named in
     *                     {@code combos}, in first-named order
     * @param combos       one per source pad, in order
     * @throws IllegalArgumentException for no combinations, a repeated output, or an input that
     *     is not a sink pad
     */
    public CallableTransform(String name, List<String> sinkPadNames, List<Combination> combos) {
        super(name, sinkNames(sinkPadNames, combos), outputNames(combos));
        Map<String, Integer> sinkIndex = new HashMap<>();
        for (SinkPad pad : sinkPads()) {
            sinkIndex.put(pad.padName(), pad.index());
        }
        inputs = new Frame[sinkIndex.size()];
        dependencies = new int[combos.size()][];
        @SuppressWarnings("unchecked")
        Function<? super Frame[], ?>[] fns = (Function<? super Frame[], ?>[]) new Function<?, ?>[combos.size()];
        callables = fns;
        arguments = new Frame[combos.size()][];
        for (int o = 0; o < combos.size(); o++) {
            Combination combo = combos.get(o);
            int[] deps = new int[combo.inputs().size()];
            for (int k = 0; k < deps.length; k++) {
                Integer index = sinkIndex.get(combo.inputs().get(k));
                if (index == null) {
                    throw new IllegalArgumentException("CallableTransform '" + name() + "': output '" + combo.output()
                            + "' depends on '" + combo.inputs().get(k) + "', which is not a sink pad; sink pads are "
                            + sinkIndex.keySet());
                }
                deps[k] = index;
            }
            dependencies[o] = deps;
            callables[o] = combo.callable();
            arguments[o] = new Frame[deps.length];
        }
    }

    private static List<String> sinkNames(List<String> given, List<Combination> combos) {
        if (given != null && !given.isEmpty()) {
            return given;
        }
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (Combination c : combos) {
            names.addAll(c.inputs());
        }
        return new ArrayList<>(names);
    }

    private static List<String> outputNames(List<Combination> combos) {
        if (combos.isEmpty()) {
            throw new IllegalArgumentException("CallableTransform needs at least one combination (one per output pad)");
        }
        List<String> names = new ArrayList<>();
        for (Combination c : combos) {
            if (names.contains(c.output())) {
                throw new IllegalArgumentException("CallableTransform: output pad '" + c.output() + "' given twice");
            }
            names.add(c.output());
        }
        return names;
    }

    /**
     * A transform with one sink pad and one source pad whose data is {@code callable} of the
     * frame received (SGN's {@code from_callable} with one input).
     *
     * @param name the element's name
     * @param callable makes the output data from the frame received
     * @param outputPadName the name of the source pad
     * @param sinkPadName the name of the sink pad
     * @return the transform
     */
    public static CallableTransform fromCallable(String name, Function<? super Frame, ?> callable,
            String outputPadName, String sinkPadName) {
        Objects.requireNonNull(callable, "callable");
        Function<Frame[], Object> one = frames -> callable.apply(frames[0]);
        return new CallableTransform(name, List.of(sinkPadName),
                List.of(new Combination(List.of(sinkPadName), one, outputPadName)));
    }

    /**
     * A transform with the given sink pads and one source pad whose data is {@code callable} of
     * the frames received on all of them, in order (SGN's {@code from_callable}).
     *
     * @param name the name
     * @param callable the function to call
     * @param outputPadName the name of the output pad
     * @param sinkPadNames the names of its sink pads
     * @return a transform with the given sink pads and one source pad whose data is {@code callable} of the frames received on all of them, in order (SGN's {@code from_callable})
     */
    public static CallableTransform fromCallable(String name, Function<? super Frame[], ?> callable,
            String outputPadName, List<String> sinkPadNames) {
        return new CallableTransform(name, sinkPadNames,
                List.of(new Combination(sinkPadNames, callable, outputPadName)));
    }

    /**
     * A transform with one source pad per combination (SGN's {@code from_combinations}).
     *
     * @param name the name
     * @param combos the combinations of input and output pads
     * @return the transform
     */
    public static CallableTransform fromCombinations(String name, List<Combination> combos) {
        return new CallableTransform(name, null, combos);
    }

    @Override
    public void pull(SinkPad pad, Frame frame) {
        inputs[pad.index()] = frame;
    }

    @Override
    public Frame newFrame(SourcePad pad) {
        int o = pad.index();
        int[] deps = dependencies[o];
        Frame[] args = arguments[o];
        for (int k = 0; k < deps.length; k++) {
            args[k] = inputs[deps[k]];
        }
        Object data = callables[o].apply(args);
        boolean eos = false;
        boolean gap = false;
        for (Frame in : inputs) {
            eos |= in.isEOS();
            gap |= in.isGap();
        }
        return new Frame(data, eos, gap);
    }
}
