package io.stockade.supervisor.lifecycle;

import io.stockade.policy.Authorizer;
import io.stockade.policy.CpuList;
import io.stockade.policy.EgressRule;
import io.stockade.policy.IntentSyntax;
import io.stockade.policy.InvalidIntentException;
import io.stockade.supervisor.vmm.VmmKind;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Validates create requests and applies the configured defaults. */
final class Requests {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  private static final Pattern DNS = Pattern.compile("(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
  static final int MAX_VCPUS = 64;
  static final long MIN_MEMORY_MIB = 16;
  static final long MAX_MEMORY_MIB = 1L << 20;

  private final LifecycleSettings settings;
  private final Set<VmmKind> kinds;

  Requests(LifecycleSettings settings, Set<VmmKind> kinds) {
    this.settings = settings;
    this.kinds = kinds;
  }

  SandboxSpec validate(SandboxSpec r) throws LifecycleException {
    VmmKind kind;
    try {
      kind = VmmKind.fromWireName(r.kind());
    } catch (IllegalArgumentException e) {
      throw LifecycleException.invalidParameter("spec.kind", e.getMessage());
    }
    if (!kinds.contains(kind)) {
      throw LifecycleException.unsupported("no " + kind.wireName() + " driver is configured on this host");
    }
    if (!r.name().isEmpty() && !NAME.matcher(r.name()).matches()) {
      throw LifecycleException.invalidParameter("spec.name", "'" + r.name() + "' must match " + NAME.pattern());
    }
    String image = r.image();
    List<String> command = r.command();
    if (kind == VmmKind.PROCESS) {
      if (!image.isEmpty()) {
        throw LifecycleException.invalidParameter("spec.image", "process sandboxes run a command, not an image");
      }
      if (command.isEmpty() || !command.get(0).startsWith("/")) {
        throw LifecycleException.invalidParameter("spec.command", "process sandboxes need a command whose argv[0] is an absolute path");
      }
    } else if (image.isEmpty()) {
      image = settings.defaultImage();
      if (image.isEmpty()) {
        throw LifecycleException.invalidParameter("spec.image", "required for " + kind.wireName() + " (no default image is configured)");
      }
    }
    for (String arg : command) {
      if (arg.indexOf('\0') >= 0) {
        throw LifecycleException.invalidParameter("spec.command", "arguments cannot contain NUL");
      }
    }
    int vcpus = r.vcpus() == 0 ? settings.defaultVcpus() : r.vcpus();
    if (vcpus < 1 || vcpus > MAX_VCPUS) {
      throw LifecycleException.invalidParameter("spec.vcpus", vcpus + " is not within 1.." + MAX_VCPUS);
    }
    long mem = r.memoryMiB() == 0 ? settings.defaultMemoryMiB() : r.memoryMiB();
    if (mem < MIN_MEMORY_MIB || mem > MAX_MEMORY_MIB) {
      throw LifecycleException.invalidParameter("spec.memoryMiB", mem + " is not within " + MIN_MEMORY_MIB + ".." + MAX_MEMORY_MIB);
    }
    int ready = r.readyTimeoutSeconds() == 0 ? settings.defaultReadyTimeoutSeconds() : r.readyTimeoutSeconds();
    if (ready < 1 || ready > 3600) {
      throw LifecycleException.invalidParameter("spec.readyTimeoutSeconds", ready + " is not within 1..3600");
    }
    for (int i = 0; i < r.egress().size(); i++) {
      checkEgress("spec.egress[" + i + "]", r.egress().get(i));
    }
    for (String d : r.dnsNames()) {
      if (!DNS.matcher(d).matches() || d.length() > 253) {
        throw LifecycleException.invalidParameter("spec.dnsNames", "'" + d + "' is not a host name (or *.domain)");
      }
    }
    if (!r.network() && (!r.egress().isEmpty() || !r.dnsNames().isEmpty())) {
      throw LifecycleException.invalidParameter("spec.network", "egress rules and host names need network=true");
    }
    if (!r.dataDiskMiB().isEmpty() && (kind == VmmKind.FIRECRACKER || kind == VmmKind.CLOUD_HYPERVISOR)) {
      throw LifecycleException.unsupported("data disks are attached only by the qemu kind, not by "
          + kind.wireName() + ": use kind qemu, or leave dataDisks out");
    }
    CpuList cpus = cpus(r.cpus());
    if (!r.network() && (r.netBytesPerSec() > 0 || r.netPacketsPerSec() > 0)) {
      throw LifecycleException.invalidParameter("spec.network", "network rate limits need network=true");
    }
    SandboxSpec spec = new SandboxSpec(kind.wireName(), r.name(), image, command, vcpus, mem, r.egress(), r.dnsNames(),
        r.network(), ready, r.dataDiskMiB(), r.pids(), r.ioReadBytesPerSec(), r.ioWriteBytesPerSec(), cpus.toString(),
        r.netBytesPerSec(), r.netPacketsPerSec(), 0);
    try {
      IntentSyntax.check(intent(spec));
    } catch (InvalidIntentException e) {
      throw LifecycleException.invalidParameter("spec." + e.parameter(), e.getMessage());
    }
    return spec;
  }

  /**
   * The request's CPU list, canonical; refused when malformed or when it names a CPU this
   * supervisor may not run on itself (the jail could not give it: refuse now, not at Start).
   */
  private CpuList cpus(String text) throws LifecycleException {
    CpuList cpus;
    try {
      cpus = CpuList.parse(text);
    } catch (IllegalArgumentException e) {
      throw LifecycleException.invalidParameter("spec.cpus", e.getMessage());
    }
    java.util.Optional<String> unavailable = HostCpus.unavailable(cpus);
    if (unavailable.isPresent()) {
      throw LifecycleException.invalidParameter("spec.cpus", unavailable.get());
    }
    return cpus;
  }

  static void checkEgress(String where, EgressRule e) throws LifecycleException {
    switch (e.protocol()) {
      case "icmp":
        if (e.portFrom() != 0 || e.portTo() != 0) {
          throw LifecycleException.invalidParameter(where, "icmp has no ports: use 0 and 0");
        }
        break;
      case "tcp":
      case "udp":
        if (e.portFrom() < 1 || e.portTo() > 65535 || e.portTo() < e.portFrom()) {
          throw LifecycleException.invalidParameter(where, "ports " + e.portFrom() + "-" + e.portTo() + " must satisfy 1 <= from <= to <= 65535");
        }
        break;
      default:
        throw LifecycleException.invalidParameter(where, "protocol '" + e.protocol() + "': expected tcp, udp or icmp");
    }
    String cidr = e.cidr();
    int slash = cidr.indexOf('/');
    try {
      if (slash < 0) {
        throw new IllegalArgumentException("no prefix length");
      }
      String addr = cidr.substring(0, slash);
      if (!addr.matches("[0-9.]+") && !addr.contains(":")) {
        throw new IllegalArgumentException("not an address literal");
      }
      byte[] bytes = InetAddress.getByName(addr).getAddress();
      int prefix = Integer.parseInt(cidr.substring(slash + 1));
      int bits = bytes.length * 8;
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException("prefix length " + prefix + " out of range");
      }
      BigInteger value = new BigInteger(1, bytes);
      if (prefix < bits && value.mod(BigInteger.ONE.shiftLeft(bits - prefix)).signum() != 0) {
        throw new IllegalArgumentException("host bits are set");
      }
    } catch (UnknownHostException | IllegalArgumentException e2) {
      throw LifecycleException.invalidParameter(where, "cidr '" + cidr + "': " + e2.getMessage());
    }
  }

  static Authorizer.CreateIntent intent(SandboxSpec s) {
    return new Authorizer.CreateIntent(s.kind(), s.image(), s.command(), s.vcpus(), s.memoryMiB(), s.egress(), s.dnsNames(),
        s.dataDiskMiB(), s.pids(), s.ioReadBytesPerSec(), s.ioWriteBytesPerSec(), s.cpuList(), s.netRate());
  }
}
