package io.stockade.supervisor.net;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A test bed and a manager over it, made before each test and closed after it even when the test
 * failed; subclasses name their resources through {@link #prefix}.
 */
abstract class ManagerFixture {
  TestBed bed;
  LinuxNetworkManager manager;

  /** The name prefix of this test class's namespaces and links (null: the bed's default). */
  String prefix() {
    return null;
  }

  @BeforeEach
  void setUpBedAndManager() throws Exception {
    TestBed.assumeCapable();
    bed = prefix() == null ? new TestBed() : new TestBed(prefix());
    manager = LinuxNetworkManager.create(bed.config());
  }

  @AfterEach
  void closeManagerAndBed() {
    if (manager != null) {
      manager.close();
    }
    if (bed != null) {
      bed.close();
    }
  }
}
