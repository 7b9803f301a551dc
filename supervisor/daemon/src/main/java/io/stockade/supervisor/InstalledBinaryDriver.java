package io.stockade.supervisor;

import io.stockade.supervisor.lifecycle.DriverAvailability;
import io.stockade.supervisor.vmm.LaunchSpec;
import io.stockade.supervisor.vmm.VmInstance;
import io.stockade.supervisor.vmm.VmmDriver;
import io.stockade.supervisor.vmm.VmmException;
import io.stockade.supervisor.vmm.VmmFeature;
import io.stockade.supervisor.vmm.VmmKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A VMM driver whose binary is checked before every create and launch. Drivers are registered
 * whether or not their binary is installed (it can be installed while the daemon runs); without
 * it, Create answers Unsupported and Start LaunchFailed, both naming the path and the config key.
 * Reattach and cleanup go straight to the driver: a workload already running needs no binary.
 */
final class InstalledBinaryDriver implements VmmDriver, DriverAvailability {
  private final VmmDriver driver;
  private final Path binary;
  private final String configKey;

  InstalledBinaryDriver(VmmDriver driver, Path binary, String configKey) {
    this.driver = driver;
    this.binary = binary;
    this.configKey = configKey;
  }

  @Override
  public Optional<String> unavailableReason() {
    if (Files.isExecutable(binary)) {
      return Optional.empty();
    }
    return Optional.of(driver.kind().wireName() + " sandboxes are unavailable: the VMM binary " + binary
        + " does not exist or is not executable: install it there, or set " + configKey
        + " in the supervisor's configuration (then `stockade-supervisor preflight`)");
  }

  @Override
  public VmInstance launch(LaunchSpec spec) throws VmmException {
    Optional<String> why = unavailableReason();
    if (why.isPresent()) {
      throw new VmmException("launch " + spec.sandboxId() + ": " + why.get());
    }
    return driver.launch(spec);
  }

  @Override
  public VmmKind kind() {
    return driver.kind();
  }

  @Override
  public Set<VmmFeature> features() {
    return driver.features();
  }

  @Override
  public Optional<String> version() {
    return unavailableReason().isPresent() ? Optional.empty() : driver.version();
  }

  @Override
  public Optional<VmInstance> reattach(String sandboxId, Map<String, String> persistentState) {
    return driver.reattach(sandboxId, persistentState);
  }

  @Override
  public void cleanup(String sandboxId) {
    driver.cleanup(sandboxId);
  }
}
