package io.stockade.supervisor.net;

/**
 * A base chain of another nftables table (or iptables-nft) in the host namespace that may drop
 * sandbox traffic Stockade's own table accepts: in nftables an accept in one table does not stop
 * another table's chain on the same hook from dropping the packet.
 *
 * @param family table family ({@code ip}, {@code inet}, ...)
 * @param table table name
 * @param chain chain name
 * @param hook the hook it is attached to ({@code forward}, {@code input})
 * @param policy its policy
 * @param remedy what the operator can do
 */
public record FirewallConflict(
    String family, String table, String chain, String hook, String policy, String remedy) {}
