package io.stockade.supervisor.net;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * libnftables in-process (the library the {@code nft} binary is a thin front end of): the same
 * JSON in and out, without a process per command. A context's netlink socket belongs to the
 * network namespace of the thread that created it, so callers create, use and free a context on a
 * thread that has joined the target namespace ({@link InNamespace}). Calls are serialized: the
 * library documents no thread safety across contexts.
 */
final class LibNftables {
  private static final int NFT_CTX_OUTPUT_JSON = 1 << 4;

  interface Nft extends Library {
    Pointer nft_ctx_new(int flags);

    void nft_ctx_free(Pointer ctx);

    void nft_ctx_output_set_flags(Pointer ctx, int flags);

    int nft_ctx_buffer_output(Pointer ctx);

    int nft_ctx_buffer_error(Pointer ctx);

    String nft_ctx_get_output_buffer(Pointer ctx);

    String nft_ctx_get_error_buffer(Pointer ctx);

    int nft_run_cmd_from_buffer(Pointer ctx, String buf);
  }

  private static final Object LOCK = new Object();
  private static final Nft LIB;
  private static final Throwable LOAD_FAILURE;

  static {
    Nft lib = null;
    Throwable failure = null;
    try {
      // The full soname: hosts carry libnftables.so.1 but not the -dev symlink.
      lib = Native.load("libnftables.so.1", Nft.class);
    } catch (Throwable t) {
      failure = t;
    }
    LIB = lib;
    LOAD_FAILURE = failure;
  }

  private LibNftables() {}

  static boolean available() {
    return LIB != null;
  }

  static Throwable loadFailure() {
    return LOAD_FAILURE;
  }

  /** Output of one run: exit status as nft would return it, stdout and stderr. */
  record Result(int status, String output, String error) {}

  /**
   * A context bound to the network namespace of the thread that opened it; usable from any
   * thread afterwards (its netlink socket stays in that namespace).
   */
  static final class Context implements AutoCloseable {
    private Pointer ctx;

    private Context(Pointer ctx) {
      this.ctx = ctx;
    }

    /** Runs {@code input} (a JSON batch, or nft syntax such as a list command). */
    Result run(String input) {
      synchronized (LOCK) {
        if (ctx == null) {
          return new Result(1, "", "libnftables context already closed");
        }
        int rc = LIB.nft_run_cmd_from_buffer(ctx, input);
        String out = LIB.nft_ctx_get_output_buffer(ctx);
        String err = LIB.nft_ctx_get_error_buffer(ctx);
        return new Result(rc == 0 ? 0 : 1, out == null ? "" : out, err == null ? "" : err);
      }
    }

    @Override
    public void close() {
      synchronized (LOCK) {
        if (ctx != null) {
          LIB.nft_ctx_free(ctx);
          ctx = null;
        }
      }
    }
  }

  /** Opens a context in the calling thread's network namespace; null if the library fails. */
  static Context open() {
    synchronized (LOCK) {
      Pointer ctx = LIB.nft_ctx_new(0);
      if (ctx == null) {
        return null;
      }
      LIB.nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
      LIB.nft_ctx_buffer_output(ctx);
      LIB.nft_ctx_buffer_error(ctx);
      return new Context(ctx);
    }
  }
}
