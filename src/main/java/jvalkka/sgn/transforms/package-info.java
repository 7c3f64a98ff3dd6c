/** Built-in transform elements: {@link jvalkka.sgn.transforms.CallableTransform}. */
package jvalkka.sgn.transforms;
