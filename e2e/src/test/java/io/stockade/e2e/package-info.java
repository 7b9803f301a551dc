/** Marker so the module has a test root. */
package io.stockade.e2e;
