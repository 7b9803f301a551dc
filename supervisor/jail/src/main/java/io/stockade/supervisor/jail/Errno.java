package io.stockade.supervisor.jail;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/** Recovers the errno behind a JDK I/O exception, which keeps only its strerror text. */
final class Errno {
  static final int EPERM = 1;
  static final int ENOENT = 2;
  static final int EIO = 5;
  static final int EACCES = 13;
  static final int EBUSY = 16;
  static final int EEXIST = 17;
  static final int EINVAL = 22;
  static final int ENOSPC = 28;
  static final int ENOTEMPTY = 39;

  private Errno() {}

  static int of(IOException e) {
    if (e instanceof NoSuchFileException) {
      return ENOENT;
    }
    if (e instanceof AccessDeniedException) {
      return EACCES;
    }
    if (e instanceof FileAlreadyExistsException) {
      return EEXIST;
    }
    if (e instanceof DirectoryNotEmptyException) {
      return ENOTEMPTY;
    }
    String reason = e instanceof FileSystemException ? ((FileSystemException) e).getReason() : e.getMessage();
    if (reason == null) {
      return EIO;
    }
    if (reason.contains("Operation not permitted")) {
      return EPERM;
    }
    if (reason.contains("Device or resource busy")) {
      return EBUSY;
    }
    if (reason.contains("Invalid argument")) {
      return EINVAL;
    }
    if (reason.contains("No space left")) {
      return ENOSPC;
    }
    return EIO;
  }
}
