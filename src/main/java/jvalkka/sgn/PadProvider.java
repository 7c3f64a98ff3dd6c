package jvalkka.sgn;

import java.util.List;
import java.util.Map;

/**
 * Anything that can stand on either side of {@link Pipeline#connect}: an {@link Element}, a
 * {@link PadSelection} (some pads of one element) or an {@link ElementGroup} (several of those).
 */
public interface PadProvider {
    /** Source pads by short name, in a stable order. */
    Map<String, SourcePad> srcs();

    /** Sink pads by short name, in a stable order. */
    Map<String, SinkPad> snks();

    /** The elements involved, each once, in a stable order. */
    List<Element> elements();
}
