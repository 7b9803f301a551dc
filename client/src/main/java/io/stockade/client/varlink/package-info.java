/**
 * The varlink wire format: NUL-terminated JSON frames ({@link io.stockade.client.varlink.FrameReader},
 * {@link io.stockade.client.varlink.FrameWriter}), calls and replies ({@link
 * io.stockade.client.varlink.VarlinkCall}, {@link io.stockade.client.varlink.VarlinkReply}) and the
 * strict JSON rules ({@link io.stockade.client.varlink.VarlinkJson}). Shared by the client and the
 * supervisor's socket server, so both sides read the same bytes the same way.
 */
package io.stockade.client.varlink;
