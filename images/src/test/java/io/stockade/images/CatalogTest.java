package io.stockade.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CatalogTest {
  private static final String SHA = "a".repeat(64);
  private static final String FILE = "{\"urls\": [\"https://mirror.invalid/k\"], \"size\": 10, \"sha256\": \"" + SHA + "\"}";

  @TempDir Path tmp;

  private static String entry(String name, String version, String extra) {
    return "{\"name\": \"" + name + "\", \"version\": \"" + version + "\", \"kernel\": " + FILE + ","
        + " \"kernelCommandLine\": \"console=ttyS0\", \"vmmKinds\": [\"qemu\"], \"readyLine\": \"READY\"" + extra + "}";
  }

  private static String doc(String... entries) {
    return "{\"catalogVersion\": 1, \"images\": [" + String.join(",", entries) + "]}";
  }

  @Test
  void parsesAnEntry() throws Exception {
    Catalog c = Catalog.parse(doc(entry("img", "1", ", \"initrd\": " + FILE + ", \"description\": \"d\"")), "c.json");
    CatalogEntry e = c.find("img:1");
    assertThat(e.kernel().urls()).containsExactly(URI.create("https://mirror.invalid/k"));
    assertThat(e.initrd()).isPresent();
    assertThat(e.rootfs()).isEmpty();
    assertThat(e.vmmKinds()).containsExactly("qemu");
    assertThat(e.source()).isEqualTo("c.json");
  }

  @Test
  void aBareNameMeansTheLastListedVersion() throws Exception {
    Catalog c = Catalog.parse(doc(entry("img", "1", ""), entry("img", "2", "")), "c.json");
    assertThat(c.find("img").version()).isEqualTo("2");
    assertThat(c.find("img:1").version()).isEqualTo("1");
    assertThatThrownBy(() -> c.find("img:3")).isInstanceOf(ImageNotFound.class).hasMessageContaining("img:1, img:2");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "unknown field       | {\"catalogVersion\": 1, \"images\": [], \"extra\": 1}                  | /extra",
      "wrong version       | {\"catalogVersion\": 2, \"images\": []}                                | /catalogVersion",
      "missing images      | {\"catalogVersion\": 1}                                               | /images",
      "images not an array | {\"catalogVersion\": 1, \"images\": {}}                                | /images",
      "duplicate key       | {\"catalogVersion\": 1, \"catalogVersion\": 1, \"images\": []}          | ''",
      "not json            | {\"catalogVersion\": 1,                                               | ''",
  })
  void rejectsBadDocuments(String why, String json, String pointer) {
    assertThatThrownBy(() -> Catalog.parse(json, "bad.json"))
        .isInstanceOf(CatalogInvalid.class)
        .hasMessageStartingWith("bad.json")
        .satisfies(e -> assertThat(((CatalogInvalid) e).pointer()).isEqualTo(pointer));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "path in name     | ../x    | 1    | ''                                       | /images/0/name",
      "slash in version | img     | a/b  | ''                                       | /images/0/version",
      "dots version     | img     | ..   | ''                                       | /images/0/version",
      "unknown vmm      | img     | 1    | , \"vmmKinds\": [\"xen\"]                | ''",
      "unknown field    | img     | 1    | , \"rootFs\": 1                          | /images/0/rootFs",
  })
  void rejectsBadEntries(String why, String name, String version, String extra, String pointer) {
    String e = entry(name, version, extra);
    if (extra.contains("vmmKinds")) {
      e = e.replace(", \"vmmKinds\": [\"qemu\"]", "");
      pointer = "/images/0/vmmKinds/0";
    }
    String json = doc(e);
    String expected = pointer;
    assertThatThrownBy(() -> Catalog.parse(json, "bad.json"))
        .isInstanceOf(CatalogInvalid.class)
        .satisfies(x -> assertThat(((CatalogInvalid) x).pointer()).isEqualTo(expected));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "ftp scheme       | \"urls\": [\"ftp://h/k\"], \"size\": 10, \"sha256\": \"SHA\"          | /images/0/kernel/urls/0",
      "jar scheme       | \"urls\": [\"jar:file:/x!/k\"], \"size\": 10, \"sha256\": \"SHA\"     | /images/0/kernel/urls/0",
      "file with host   | \"urls\": [\"file://host/k\"], \"size\": 10, \"sha256\": \"SHA\"      | /images/0/kernel/urls/0",
      "no urls          | \"urls\": [], \"size\": 10, \"sha256\": \"SHA\"                       | /images/0/kernel/urls",
      "zero size        | \"urls\": [\"http://h/k\"], \"size\": 0, \"sha256\": \"SHA\"          | /images/0/kernel/size",
      "string size      | \"urls\": [\"http://h/k\"], \"size\": \"10\", \"sha256\": \"SHA\"     | /images/0/kernel/size",
      "short sha        | \"urls\": [\"http://h/k\"], \"size\": 10, \"sha256\": \"abc\"         | /images/0/kernel/sha256",
      "upper sha        | \"urls\": [\"http://h/k\"], \"size\": 10, \"sha256\": \"UPPER\"       | /images/0/kernel/sha256",
  })
  void rejectsBadFiles(String why, String fields, String pointer) {
    String file = "{" + fields.replace("UPPER", SHA.toUpperCase()).replace("SHA", SHA) + "}";
    String json = doc(entry("img", "1", "").replace(FILE, file));
    assertThatThrownBy(() -> Catalog.parse(json, "bad.json"))
        .isInstanceOf(CatalogInvalid.class)
        .satisfies(e -> assertThat(((CatalogInvalid) e).pointer()).isEqualTo(pointer));
  }

  @Test
  void relativeUrlsResolveAgainstTheCatalogFileAndDuplicatesAcrossFilesAreErrors() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("catalogs"));
    Files.writeString(dir.resolve("a.json"), doc(entry("img", "1", "").replace("https://mirror.invalid/k", "images/vmlinuz")));
    Catalog c = Catalog.load(List.of(dir));
    assertThat(c.find("img").kernel().urls()).containsExactly(dir.resolve("images/vmlinuz").toUri());
    assertThat(c.defaultImage()).contains("stockade-default"); // from the shipped catalog

    Files.writeString(dir.resolve("b.json"), doc(entry("img", "1", "")));
    assertThatThrownBy(() -> Catalog.load(List.of(dir)))
        .isInstanceOf(CatalogInvalid.class)
        .hasMessageContaining("b.json at /images/0")
        .hasMessageContaining("already defined by " + dir.resolve("a.json"));
  }

  @Test
  void theShippedCatalogNamesNoHost() throws Exception {
    Catalog c = Catalog.shipped();
    assertThat(c.entries()).isEmpty();
    assertThat(c.defaultImage()).contains("stockade-default");
  }

  @Test
  void buildImageOutputParses() throws Exception {
    Path catalog = Path.of(System.getProperty("stockade.imageDir", "out/images/default"), "catalog.json");
    assumeTrue(Files.exists(catalog), "no " + catalog + ": run scripts/build-image");
    CatalogEntry e = Catalog.load(List.of(catalog)).find("stockade-default");
    assertThat(e.readyLine()).isEqualTo("STOCKADE-READY");
    assertThat(e.initrd()).isPresent();
    assertThat(e.rootfs()).isPresent();
    assertThat(e.kernel().urls().get(0).getScheme()).isEqualTo("file");
  }
}
