package io.stockade.client;

/**
 * The sandbox's side of its network link.
 *
 * @param guestAddress the guest's address with prefix length ({@code 10.200.0.2/30})
 * @param gateway the host side's address, the guest's default route
 * @param mac the guest interface's MAC address
 */
public record NetworkInfo(String guestAddress, String gateway, String mac) {}
