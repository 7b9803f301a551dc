package io.stockade.images;

/** Receives download progress; called from the downloading thread. */
public interface DownloadProgress {
  DownloadProgress NONE = (file, done, total) -> {};

  /**
   * @param file which file of the image (kernel, initrd, rootfs)
   * @param bytesDone bytes received so far (including a resumed part)
   * @param bytesTotal expected size, -1 when unknown
   */
  void update(String file, long bytesDone, long bytesTotal);
}
