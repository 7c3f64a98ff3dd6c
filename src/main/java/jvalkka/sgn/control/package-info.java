/**
 * Live control of a running pipeline over HTTP (SGN's {@code sgn.control}):
 * {@link jvalkka.sgn.control.HTTPControl} serves the state that controllable elements publish
 * with {@code exchangeState}, and takes changes to it, while the pipeline runs.
 */
package jvalkka.sgn.control;
