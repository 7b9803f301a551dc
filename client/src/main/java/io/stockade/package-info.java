/** Stockade: a privileged supervisor that runs untrusted workloads in jailed microVMs. */
package io.stockade;
