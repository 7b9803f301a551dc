package io.stockade.supervisor.api;

import java.time.Duration;

/**
 * What one client may cost the supervisor.
 *
 * @param maxConnections connections served at once; more are closed on accept
 * @param maxFrameBytes largest message accepted; a larger one gets an error and the connection
 *     is closed (its framing can no longer be trusted)
 * @param readTimeout an idle connection, or one stuck inside a half-sent frame, is closed after it
 */
public record ApiLimits(int maxConnections, int maxFrameBytes, Duration readTimeout) {}
