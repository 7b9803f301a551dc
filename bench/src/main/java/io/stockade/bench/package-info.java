/** Benchmarks: programs that print figures. */
package io.stockade.bench;
