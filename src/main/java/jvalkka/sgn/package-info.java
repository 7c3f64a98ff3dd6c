/**
 * The in-process core of SGN streaming task graphs: {@link jvalkka.sgn.Frame}s flow from
 * {@link jvalkka.sgn.SourcePad}s to {@link jvalkka.sgn.SinkPad}s of
 * {@link jvalkka.sgn.SourceElement}s, {@link jvalkka.sgn.TransformElement}s and
 * {@link jvalkka.sgn.SinkElement}s, assembled and run by a {@link jvalkka.sgn.Pipeline}.
 * {@link jvalkka.sgn.Compose} packs a subgraph into one element; {@link jvalkka.sgn.StaticPads}
 * declares the pads every instance of an element class has; {@link jvalkka.sgn.Validator}s check
 * an element's pads at construction.
 *
 * <p>The names follow SGN (Python) so that SGN users recognise them; SGN's {@code new(pad)}
 * is {@code newFrame(pad)} here because {@code new} is a Java keyword. This package is pure
 * Java and depends on no other jvalkka package but {@code jvalkka.log} (for its log levels): the
 * process and thread layer ({@code Parallelize*Element}s) is built on top of it by subclassing the
 * three element kinds, and takes over {@link jvalkka.sgn.Pipeline#run()} for the pipelines that
 * need workers through a {@link jvalkka.sgn.RunHook} it registers with the service loader
 * (checked by {@code PackageLayersTest}).
 *
 * <p>Threading: a pipeline and its elements are driven by the one thread that calls
 * {@link jvalkka.sgn.Pipeline#run()}; nothing here is safe for concurrent use unless a class
 * says so ({@link jvalkka.sgn.SignalEOS#signaledEos()} is).
 */
package jvalkka.sgn;
