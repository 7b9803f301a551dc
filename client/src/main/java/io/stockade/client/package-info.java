/**
 * The Stockade client: {@link io.stockade.client.StockadeClient} talks to the supervisor over its
 * Unix socket; the records here are the protocol's values ({@link io.stockade.client.Requests},
 * {@link io.stockade.client.Replies}, {@link io.stockade.client.SandboxInfo}, ...), {@link
 * io.stockade.client.SupervisorMethod} lists the methods, and every error has its own subclass of
 * {@link io.stockade.client.StockadeException}.
 */
package io.stockade.client;
