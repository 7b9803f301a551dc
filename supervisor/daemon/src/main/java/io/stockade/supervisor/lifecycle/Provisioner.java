package io.stockade.supervisor.lifecycle;

import io.stockade.images.DownloadProgress;
import io.stockade.images.ImageException;
import io.stockade.images.ImageResolver;
import io.stockade.images.ResolvedImage;
import io.stockade.supervisor.net.EgressSpec;
import io.stockade.supervisor.net.NetworkException;
import io.stockade.supervisor.net.NetworkManager;
import io.stockade.supervisor.vmm.VmmKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a sandbox needs before its workload starts, each given once and kept on the sandbox: its
 * network (with the jail uid that owns the TAP), its verified image, its data disks. Admission
 * provisions at Create (so a refusal comes before anything runs), Start fills in what a restart
 * or a Stop released.
 */
final class Provisioner {
  private final ImageResolver images;
  private final NetworkManager network;
  private final UidReserver uids;

  Provisioner(ImageResolver images, NetworkManager network, UidReserver uids) {
    this.images = images;
    this.network = network;
    this.uids = uids;
  }

  /** Gives the sandbox its network if it asked for one and has none. */
  void attachNetwork(Sandbox sb) throws NetworkException {
    SandboxSpec spec = sb.spec();
    if (spec.network() && sb.network().isEmpty()) {
      int uid;
      try {
        uid = uids.reserve(sb.id);
      } catch (Exception e) {
        throw new NetworkException("reserve_uid", "sandbox " + sb.id + ": cannot lease its uid for the TAP owner: " + e.getMessage(), e);
      }
      sb.jailUid(uid);
      EgressSpec egress = new EgressSpec(spec.egress(), spec.dnsNames(), spec.netRate());
      // A jailed process has no VM behind the TAP: it gets a namespace of its own behind the
      // sandbox's firewall (docs/network.md, "Process sandboxes").
      sb.network(spec.kind().equals(VmmKind.PROCESS.wireName())
          ? network.attachProcess(sb.id, uid, uid, egress)
          : network.attach(sb.id, uid, uid, egress));
    }
  }

  void detachNetwork(Sandbox sb) {
    if (sb.spec().network() || sb.networkRecord() != null) {
      network.detach(sb.id);
    }
    sb.network(null);
  }

  ResolvedImage resolveImage(Sandbox sb) throws ImageException {
    Optional<ResolvedImage> have = sb.image();
    if (have.isPresent()) {
      return have.get();
    }
    ResolvedImage img = images.resolve(sb.spec().image(), DownloadProgress.NONE);
    sb.image(img);
    return img;
  }

  /**
   * The sandbox's data disks, created empty at its first start (data-N.qcow2 in its directory,
   * which Destroy removes) and reused as they are at every later start, so the guest's data
   * survives Stop and Start.
   */
  List<Path> dataDisks(Sandbox sb) throws ImageException {
    List<Long> sizes = sb.spec().dataDiskMiB();
    List<Path> out = new ArrayList<>();
    for (int i = 0; i < sizes.size(); i++) {
      Path file = sb.dir.resolve("data-" + i + ".qcow2");
      if (!Files.exists(file)) {
        images.createDataDisk(file, sizes.get(i));
      }
      out.add(file);
    }
    return out;
  }
}
