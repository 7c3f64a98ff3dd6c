/** jvalkka: valkka-style multiprocessing for the JVM. */
package jvalkka;
