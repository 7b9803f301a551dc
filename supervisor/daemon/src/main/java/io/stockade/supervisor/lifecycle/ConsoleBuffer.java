package io.stockade.supervisor.lifecycle;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The last lines of one sandbox's console, kept after the workload exits so a failed sandbox can
 * still show why. Bounded by line count; each line is cut at {@link #MAX_LINE_CHARS} so one
 * endless line cannot grow it. Lines carry sequence numbers so followers can resume exactly.
 */
public final class ConsoleBuffer {
  static final int MAX_LINE_CHARS = 8192;

  private final int maxLines;
  private final ArrayDeque<String> lines = new ArrayDeque<>();
  private long nextSeq;
  private boolean closed;

  public ConsoleBuffer(int maxLines) {
    this.maxLines = Math.max(1, maxLines);
  }

  /** Lines from {@code fromSeq} on, plus the sequence number to ask for next time. */
  public record Chunk(List<String> lines, long nextSeq, boolean closed) {}

  synchronized void addLine(String line) {
    lines.addLast(line.length() > MAX_LINE_CHARS ? line.substring(0, MAX_LINE_CHARS) : line);
    nextSeq++;
    while (lines.size() > maxLines) {
      lines.removeFirst();
    }
    notifyAll();
  }

  /** No more lines will come (the workload exited and its console was read to the end). */
  synchronized void close() {
    closed = true;
    notifyAll();
  }

  /** Reopens after a restart of the same sandbox. */
  synchronized void reopen() {
    closed = false;
  }

  public synchronized boolean isClosed() {
    return closed;
  }

  /** The last {@code n} lines. */
  public synchronized Chunk tail(int n) {
    int skip = Math.max(0, lines.size() - Math.max(0, n));
    List<String> out = new ArrayList<>(lines).subList(skip, lines.size());
    return new Chunk(List.copyOf(out), nextSeq, closed);
  }

  /** Lines numbered {@code fromSeq} and later that are still held. */
  public synchronized Chunk since(long fromSeq) {
    long firstSeq = nextSeq - lines.size();
    int skip = (int) Math.max(0, Math.min(lines.size(), fromSeq - firstSeq));
    List<String> out = new ArrayList<>(lines).subList(skip, lines.size());
    return new Chunk(List.copyOf(out), nextSeq, closed);
  }

  /** Waits until a line numbered {@code fromSeq} or later exists, the buffer closes, or timeout. */
  public synchronized void awaitAfter(long fromSeq, long timeoutMillis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (nextSeq <= fromSeq && !closed) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return;
      }
      wait(left);
    }
  }
}
