package io.stockade.supervisor.net;

/** Traffic of one sandbox as its firewall counted it; -1 where unknown. */
public record TrafficCounters(long txBytes, long txPackets, long rxBytes, long rxPackets) {
  public static final TrafficCounters UNKNOWN = new TrafficCounters(-1, -1, -1, -1);
}
