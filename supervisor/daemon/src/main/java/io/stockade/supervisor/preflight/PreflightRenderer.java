package io.stockade.supervisor.preflight;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Preflight for people (an aligned table) and for programs (JSON), for the daemon's CLI and API. */
public final class PreflightRenderer {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private PreflightRenderer() {}

  /**
   * STATUS  CHECK  FOUND, one line per check, the remedy indented on the next line; a fatal
   * failure reads FATAL. Ends with the KVM verdict and a count.
   */
  public static String text(PreflightReport report) {
    int width = "CHECK".length();
    for (CheckResult c : report.checks()) {
      width = Math.max(width, c.name().length());
    }
    String row = "%-6s  %-" + width + "s  %s%n";
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, row, "STATUS", "CHECK", "FOUND"));
    int ok = 0;
    int warn = 0;
    int fail = 0;
    int fatal = 0;
    String indent = " ".repeat(6 + 2 + width + 2);
    for (CheckResult c : report.checks()) {
      out.append(String.format(Locale.ROOT, row, status(c), c.name(), c.found()));
      if (!c.remedy().isEmpty() && c.status() != CheckResult.Status.OK) {
        out.append(indent).append("remedy: ").append(c.remedy()).append(System.lineSeparator());
      }
      switch (c.status()) {
        case OK -> ok++;
        case WARN -> warn++;
        case FAIL -> {
          fail++;
          fatal += c.fatal() ? 1 : 0;
        }
      }
    }
    out.append(System.lineSeparator())
        .append("KVM: ").append(report.kvm()).append(" -> guests run under ")
        .append(report.kvm() == PreflightReport.KvmVerdict.USABLE ? "KVM" : "TCG (software emulation)")
        .append(System.lineSeparator())
        .append(String.format(Locale.ROOT, "%d ok, %d warn, %d fail (%d fatal)%s%n", ok, warn, fail, fatal,
            report.fatal() ? ": the supervisor refuses to start" : ""));
    return out.toString();
  }

  /** The report as JSON: {"checks":[{name,status,found,remedy,fatal}...],"kvm":...,"fatal":...}. */
  public static String json(PreflightReport report) {
    try {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("checks", report.checks());
      doc.put("kvm", report.kvm());
      doc.put("fatal", report.fatal());
      return JSON.writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      // Records of strings, enums and booleans always serialize; this would be a Jackson bug.
      throw new IllegalStateException("preflight report did not serialize", e);
    }
  }

  private static String status(CheckResult c) {
    return switch (c.status()) {
      case OK -> "ok";
      case WARN -> "warn";
      case FAIL -> c.fatal() ? "FATAL" : "fail";
    };
  }
}
