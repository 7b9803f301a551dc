package io.stockade.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Short host commands (ip, nft, useradd) with a timeout and captured output. */
final class Shell {
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private Shell() {}

  record Result(List<String> argv, int exit, String out, String err) {
    boolean ok() {
      return exit == 0;
    }

    /** Throws with the command, status and both outputs unless it succeeded. */
    Result check() {
      if (!ok()) {
        throw new IllegalStateException(describe());
      }
      return this;
    }

    String describe() {
      return String.join(" ", argv) + " exited " + exit + "\nstdout: " + out.strip() + "\nstderr: " + err.strip();
    }
  }

  static Result run(String... argv) {
    return run(DEFAULT_TIMEOUT, Map.of(), null, List.of(argv));
  }

  static Result runOk(String... argv) {
    return run(argv).check();
  }

  /** Runs {@code argv}; a command that outlives {@code timeout} is killed and reported as exit 124. */
  static Result run(Duration timeout, Map<String, String> env, String stdin, List<String> argv) {
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      return new Result(argv, 127, "", "cannot start: " + e.getMessage());
    }
    CompletableFuture<String> out = drain(p.getInputStream());
    CompletableFuture<String> err = drain(p.getErrorStream());
    try {
      try (var in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        return new Result(argv, 124, out.getNow(""), "timed out after " + timeout + "; " + err.getNow(""));
      }
      return new Result(argv, p.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return new Result(argv, 130, "", "interrupted");
    } catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      p.destroyForcibly();
      return new Result(argv, 125, out.getNow(""), "output not collected: " + e);
    }
  }

  private static CompletableFuture<String> drain(InputStream in) {
    // A thread of its own per stream: the common pool has one thread on a 2-core machine, and a
    // stderr pipe that nobody reads while stdout blocks would stall the command.
    CompletableFuture<String> f = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try (in) {
        f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        f.completeExceptionally(new UncheckedIOException(e));
      }
    }, "stk-e2-drain");
    t.setDaemon(true);
    t.start();
    return f;
  }

  /** Whether an executable of that name is on PATH (or is that absolute path). */
  static boolean hasCommand(String name) {
    if (name.startsWith("/")) {
      return java.nio.file.Files.isExecutable(java.nio.file.Path.of(name));
    }
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
      if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, name))) {
        return true;
      }
    }
    return java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/sbin", name));
  }
}
