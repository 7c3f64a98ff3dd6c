/** Built-in sink elements: {@link jvalkka.sgn.sinks.CollectSink}, {@link jvalkka.sgn.sinks.DequeSink}, {@link jvalkka.sgn.sinks.NullSink}. */
package jvalkka.sgn.sinks;
