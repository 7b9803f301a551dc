package io.stockade.supervisor.preflight;

import io.stockade.supervisor.net.NetConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What preflight checks against: the paths and binaries the configuration names.
 *
 * @param stateDir durable state (must be writable, free space reported)
 * @param imageDir image store (must be writable, free space reported)
 * @param runDir runtime directory for sockets and jails
 * @param vmmBinaries VMM kind (qemu, firecracker, cloud-hypervisor) to binary path
 * @param neededKinds kinds the configuration/policy actually uses: a missing binary of one of
 *     these is a failure, of any other kind a warning
 * @param bootProbeKernel kernel for the KVM boot probe (the default image's), if known
 * @param bootProbeInitrd initramfs for the boot probe, if any
 * @param bootProbeReadyLine the line the probe image prints when it is ready
 * @param bootProbeCache file where the probe's verdict is cached per host kernel + QEMU version
 * @param rerunBootProbe ignore the cached verdict and probe again
 * @param bootProbeTimeout how long the probe guest may take under KVM before "not usable"
 * @param hostNetns the network namespace sandboxes are routed through (empty = the host's own)
 * @param network the daemon's network configuration, for the net module's read-only firewall
 *     audit (empty when networking is disabled or the configuration is not valid)
 * @param bootProbeCachedOnly use a cached boot-probe verdict but never boot a probe guest now
 *     (the daemon's start: an uncached probe on a host whose KVM guests hang would hold the socket
 *     closed for the whole probe timeout; `preflight` and the Preflight call do probe)
 * @param policy what the policy and the defaults ask of the host ({@link PolicyDemands#NONE}: not
 *     checked)
 */
public record PreflightInputs(
    Path stateDir,
    Path imageDir,
    Path runDir,
    Map<String, Path> vmmBinaries,
    Set<String> neededKinds,
    Optional<Path> bootProbeKernel,
    Optional<Path> bootProbeInitrd,
    String bootProbeReadyLine,
    Path bootProbeCache,
    boolean rerunBootProbe,
    Duration bootProbeTimeout,
    Optional<Path> hostNetns,
    Optional<NetConfig> network,
    boolean bootProbeCachedOnly,
    PolicyDemands policy) {

  /** Without policy checks. */
  public PreflightInputs(
      Path stateDir, Path imageDir, Path runDir, Map<String, Path> vmmBinaries, Set<String> neededKinds,
      Optional<Path> bootProbeKernel, Optional<Path> bootProbeInitrd, String bootProbeReadyLine,
      Path bootProbeCache, boolean rerunBootProbe, Duration bootProbeTimeout, Optional<Path> hostNetns,
      Optional<NetConfig> network, boolean bootProbeCachedOnly) {
    this(stateDir, imageDir, runDir, vmmBinaries, neededKinds, bootProbeKernel, bootProbeInitrd, bootProbeReadyLine,
        bootProbeCache, rerunBootProbe, bootProbeTimeout, hostNetns, network, bootProbeCachedOnly, PolicyDemands.NONE);
  }

  /** Probing allowed when nothing is cached. */
  public PreflightInputs(
      Path stateDir, Path imageDir, Path runDir, Map<String, Path> vmmBinaries, Set<String> neededKinds,
      Optional<Path> bootProbeKernel, Optional<Path> bootProbeInitrd, String bootProbeReadyLine,
      Path bootProbeCache, boolean rerunBootProbe, Duration bootProbeTimeout, Optional<Path> hostNetns,
      Optional<NetConfig> network) {
    this(stateDir, imageDir, runDir, vmmBinaries, neededKinds, bootProbeKernel, bootProbeInitrd, bootProbeReadyLine,
        bootProbeCache, rerunBootProbe, bootProbeTimeout, hostNetns, network, false);
  }

  /** Without a network configuration: the forward-drop check reads the ruleset itself. */
  public PreflightInputs(
      Path stateDir, Path imageDir, Path runDir, Map<String, Path> vmmBinaries, Set<String> neededKinds,
      Optional<Path> bootProbeKernel, Optional<Path> bootProbeInitrd, String bootProbeReadyLine,
      Path bootProbeCache, boolean rerunBootProbe, Duration bootProbeTimeout, Optional<Path> hostNetns) {
    this(stateDir, imageDir, runDir, vmmBinaries, neededKinds, bootProbeKernel, bootProbeInitrd, bootProbeReadyLine,
        bootProbeCache, rerunBootProbe, bootProbeTimeout, hostNetns, Optional.empty(), false);
  }

  public PreflightInputs {
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(imageDir, "imageDir");
    Objects.requireNonNull(runDir, "runDir");
    Objects.requireNonNull(bootProbeKernel, "bootProbeKernel (Optional.empty() when none)");
    Objects.requireNonNull(bootProbeInitrd, "bootProbeInitrd (Optional.empty() when none)");
    Objects.requireNonNull(bootProbeReadyLine, "bootProbeReadyLine");
    Objects.requireNonNull(bootProbeCache, "bootProbeCache");
    Objects.requireNonNull(bootProbeTimeout, "bootProbeTimeout");
    Objects.requireNonNull(hostNetns, "hostNetns (Optional.empty() for the host's own)");
    Objects.requireNonNull(network, "network (Optional.empty() when disabled)");
    Objects.requireNonNull(policy, "policy (PolicyDemands.NONE when not checked)");
    if (bootProbeReadyLine.isBlank()) {
      throw new IllegalArgumentException("bootProbeReadyLine is blank: every line would match");
    }
    if (bootProbeTimeout.isNegative() || bootProbeTimeout.isZero()) {
      throw new IllegalArgumentException("bootProbeTimeout must be positive, got " + bootProbeTimeout);
    }
    vmmBinaries = Map.copyOf(vmmBinaries);
    neededKinds = Set.copyOf(neededKinds);
  }
}
