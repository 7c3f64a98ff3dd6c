package jvalkka.tutorial;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.SignalEOS;
import jvalkka.sgn.SinkPad;
import jvalkka.sgn.SourcePad;
import jvalkka.sgn.control.HTTPControl;
import jvalkka.sgn.control.HTTPControlSinkElement;
import jvalkka.sgn.control.HTTPControlSourceElement;
import jvalkka.sgn.control.HTTPControlTransformElement;

/**
 * SGN's HTTP control: a counter -> scale -> printer pipeline whose elements publish their state
 * and take new values over HTTP while it runs. Open the printed URL in a browser, or use curl.
 * Stops when {@code {"stop": true}} is posted to the counter, or on Ctrl+C. See
 * tutorial/sgn-control.md. Args: [port (8080; 0 picks a free one)] [frames per second (20)].
 */
public final class SgnHttpControl {
    private SgnHttpControl() {
    }

    /** Counts up by "step", "rate" frames a second, until "stop". */
    static final class Counter extends HTTPControlSourceElement {
        final Map<String, Object> state = new LinkedHashMap<>();
        long value;

        Counter(int rate) {
            super("counter", "out");
            state.put("step", 1);
            state.put("rate", rate);
            state.put("stop", false);
        }

        @Override
        public Frame newFrame(SourcePad pad) throws InterruptedException {
            exchangeState(state); // take what was posted, publish what we have
            Thread.sleep(1000 / Math.max(1, (Integer) state.get("rate"))); // the pace of this demo's stream
            value += (Integer) state.get("step");
            boolean eos = (Boolean) state.get("stop") || SignalEOS.signaledEos();
            return new Frame(value, eos, false);
        }
    }

    /** Multiplies by "factor"; passes EOS on. */
    static final class Scale extends HTTPControlTransformElement {
        final Map<String, Object> state = new LinkedHashMap<>(Map.of("factor", 10));
        Frame in;

        Scale() {
            super("scale", List.of("out"), List.of("out"));
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            in = frame;
            exchangeState(state);
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            return new Frame((Long) in.data() * (Integer) state.get("factor"), in.isEOS(), false);
        }
    }

    /** Prints every 20th value and publishes how many it received and the last one. */
    static final class Printer extends HTTPControlSinkElement {
        final Map<String, Object> state = new LinkedHashMap<>();

        Printer() {
            super("printer", "out");
            state.put("received", 0L);
            state.put("last", 0L);
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            long received = (Long) state.get("received") + 1;
            state.put("received", received);
            state.put("last", frame.data());
            exchangeState(state);
            if (received % 20 == 1) {
                System.out.println("printer: frame " + received + " = " + frame.data());
            }
            if (frame.isEOS()) {
                markEos(pad);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : HTTPControl.DEFAULT_PORT;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Counter counter = new Counter(rate);
        Scale scale = new Scale();
        Printer printer = new Printer();
        Pipeline p = new Pipeline().connect(counter, scale).connect(scale, printer);

        try (HTTPControl control = HTTPControl.builder(p).port(port).start()) {
            String url = control.url();
            System.out.println("control page: " + url);
            System.out.println("  curl " + url + "get/printer");
            System.out.println("  curl -X POST -H 'Content-Type: application/json' -d '{\"factor\": 100}' " + url
                    + "post/scale");
            System.out.println("  curl -X POST -H 'Content-Type: application/json' -d '{\"stop\": true}' " + url
                    + "post/counter");
            System.out.flush();
            p.run(); // until {"stop": true} or Ctrl+C
        }
        System.out.println("stopped after " + printer.state.get("received") + " frames; last value "
                + printer.state.get("last"));
    }
}
