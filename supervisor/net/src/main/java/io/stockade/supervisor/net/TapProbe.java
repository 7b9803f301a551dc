package io.stockade.supervisor.net;

import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Proves that the installed firewall refuses a denied destination on the path a guest's packets
 * take. It opens the sandbox's TAP (as the VMM later will), writes the TCP SYN a guest would send
 * to the metadata address 169.254.169.254:80 (from the guest's MAC and address), and waits for the
 * namespace's answer: the egress chain must reject it (ICMP admin-prohibited or TCP reset). Silence
 * means the packet went somewhere unchecked or the namespace is broken; either fails the attach.
 */
final class TapProbe implements AutoCloseable {
  private static final int RESEND_MS = 5;
  static final long PROBE_DESTINATION = Ipv4.parse("169.254.169.254");

  private final SlotAddresses a;
  private final int tun;

  private TapProbe(SlotAddresses a, int tun) {
    this.a = a;
    this.tun = tun;
  }

  /** Opens the TAP from the sandbox's namespace (TUNSETIFF looks the name up there). */
  static TapProbe open(SlotAddresses a) throws NetworkException {
    return InNamespace.run(java.util.Optional.of(a.netnsPath()), "open TAP", () -> openHere(a));
  }

  /** Sets the TAP's owner and group (the VMM's jail uid/gid). */
  void setOwner(int uid, int gid) throws NetworkException {
    if (Libc.setTapOwner(tun, uid, gid) != 0) {
      throw new NetworkException("set TAP owner", "cannot give TAP " + SlotAddresses.TAP + " in "
          + a.netnsPath() + " to " + uid + ":" + gid + " (errno " + Libc.errno() + ")");
    }
  }

  @Override
  public void close() {
    Libc.close(tun);
  }

  /** Opens the TAP from a thread that is already in the sandbox's namespace. */
  static TapProbe openHere(SlotAddresses a) throws NetworkException {
    int fd = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK);
    if (fd >= 0 && Libc.attachTap(fd, SlotAddresses.TAP) != 0) {
      int err = Libc.errno();
      Libc.close(fd);
      throw new NetworkException("open TAP", "cannot attach to TAP " + SlotAddresses.TAP + " in "
          + a.netnsPath() + " (errno " + err + ")");
    }
    if (fd < 0) {
      throw new NetworkException("open TAP", "cannot open /dev/net/tun (errno " + Libc.errno()
          + "): load the tun module");
    }
    return new TapProbe(a, fd);
  }

  /** One-shot form for tests: open, probe, close. */
  static String probe(SlotAddresses a, int timeoutMs) throws NetworkException {
    try (TapProbe p = open(a)) {
      return p.probe(timeoutMs);
    }
  }

  /** Returns null when the probe was refused as it must be, else what went wrong. */
  String probe(int timeoutMs) {
    int sport = 20_000 + ThreadLocalRandom.current().nextInt(40_000);
    byte[] syn = synFrame(a, sport);
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    byte[] buf = new byte[2048];
    // Opening the TAP turns its carrier on, but the kernel activates its queue only when the
    // link-watch work runs a moment later; an answer sent before that is dropped. So the SYN is
    // repeated every few milliseconds until an answer comes back.
    while (System.nanoTime() < deadline) {
      if (Libc.write(tun, syn) != syn.length) {
        return "cannot write the probe frame to the TAP (errno " + Libc.errno() + ")";
      }
      long resend = Math.min(deadline, System.nanoTime() + RESEND_MS * 1_000_000L);
      int left;
      while ((left = (int) ((resend - System.nanoTime()) / 1_000_000L)) > 0
          && Libc.pollIn(tun, left)) {
        long n = Libc.read(tun, buf);
        if (n > 0 && isRefusal(ByteBuffer.wrap(buf, 0, (int) n), a, sport)) {
          return null;
        }
      }
    }
    return "no refusal within " + timeoutMs + " ms for a SYN to 169.254.169.254:80";
  }

  static byte[] synFrame(SlotAddresses a, int sport) {
    ByteBuffer b = ByteBuffer.allocate(14 + 20 + 20);
    b.put(mac(a.gatewayMac())).put(mac(a.guestMac())).putShort((short) 0x0800);
    int ip = b.position();
    b.put((byte) 0x45).put((byte) 0).putShort((short) 40).putShort((short) sport)
        .putShort((short) 0x4000).put((byte) 64).put((byte) 6).putShort((short) 0)
        .putInt((int) a.guest()).putInt((int) PROBE_DESTINATION);
    b.putShort(ip + 10, (short) checksum(b.array(), ip, 20, 0));
    int tcp = b.position();
    b.putShort((short) sport).putShort((short) 80).putInt(ThreadLocalRandom.current().nextInt())
        .putInt(0).put((byte) 0x50).put((byte) 0x02).putShort((short) 0xffff).putShort((short) 0)
        .putShort((short) 0);
    long pseudo = (a.guest() >> 16) + (a.guest() & 0xffff) + (PROBE_DESTINATION >> 16)
        + (PROBE_DESTINATION & 0xffff) + 6 + 20;
    b.putShort(tcp + 16, (short) checksum(b.array(), tcp, 20, pseudo));
    return b.array();
  }

  private static boolean isRefusal(ByteBuffer f, SlotAddresses a, int sport) {
    if (f.limit() < 14 + 20 + 8 || f.getShort(12) != 0x0800) {
      return false;
    }
    int ip = 14;
    int ihl = (f.get(ip) & 0x0f) * 4;
    int proto = f.get(ip + 9) & 0xff;
    long src = f.getInt(ip + 12) & 0xffffffffL;
    long dst = f.getInt(ip + 16) & 0xffffffffL;
    if (dst != a.guest()) {
      return false;
    }
    int l4 = ip + ihl;
    if (proto == 6 && src == PROBE_DESTINATION && f.limit() >= l4 + 14) {
      return (f.getShort(l4 + 2) & 0xffff) == sport && (f.get(l4 + 13) & 0x04) != 0;
    }
    if (proto == 1 && f.limit() >= l4 + 8 + 20 && (f.get(l4) & 0xff) == 3) {
      return (f.getInt(l4 + 8 + 16) & 0xffffffffL) == PROBE_DESTINATION;
    }
    return false;
  }

  private static int checksum(byte[] data, int off, int len, long initial) {
    long sum = initial;
    for (int i = 0; i < len; i += 2) {
      sum += ((data[off + i] & 0xff) << 8) | (i + 1 < len ? data[off + i + 1] & 0xff : 0);
    }
    while ((sum >> 16) != 0) {
      sum = (sum & 0xffff) + (sum >> 16);
    }
    return (int) (~sum & 0xffff);
  }

  private static byte[] mac(String s) {
    String[] p = s.split(":");
    byte[] m = new byte[6];
    for (int i = 0; i < 6; i++) {
      m[i] = (byte) Integer.parseInt(p[i], 16);
    }
    return m;
  }
}
