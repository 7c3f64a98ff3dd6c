/** Built-in source elements: {@link jvalkka.sgn.sources.IterSource}, {@link jvalkka.sgn.sources.DequeSource}, {@link jvalkka.sgn.sources.NullSource}. */
package jvalkka.sgn.sources;
