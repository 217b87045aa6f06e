package dev.loginrelay.controller.e2e;

import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's metrics table against the real {@code GET /metrics} of a running controller after a ready, a
 * cancelled and a failed session: the same families, types and labels, and the values those sessions imply.
 */
@Timeout(180)
class MetricsTableTest {
    private static final Pattern ROW = Pattern.compile("^\\| `(loginrelay_[a-z_]+)` \\| (\\w+) \\| ([^|]*) \\|");
    private static final Pattern TYPE = Pattern.compile("^# TYPE (loginrelay_[a-z_]+) (\\w+)$");
    private static final Pattern SAMPLE = Pattern.compile("^(loginrelay_[a-z_]+)(?:\\{([^}]*)})? (\\S+)$");

    @TempDir
    static Path dir;
    static ControllerFixture c;
    static Path approve;
    static String scrape;

    @BeforeAll
    static void runThreeSessionsAndScrape() throws Exception {
        approve = dir.resolve("approve");
        c = new ControllerFixture(dir).spec(FakeCliSpecs.loopback("fake-loopback", new JsonObject()))
            .spec(FakeCliSpecs.device("fake-device", new JsonObject().put("FAKECLI_APPROVE_FILE", approve.toString())));
        c.start();
        JsonObject ok = c.create("fake-loopback", "metrics-ready");
        String url = c.awaitStatus(ok.getString("id"), ok.getString("sessionToken"), "awaiting_user", 60)
            .getString("authUrl");
        c.post(ok.getString("id"), "callback", new JsonObject().put("url",
            FakeBrowser.callbackFor(url, "code=ok&state={state}")), ok.getString("sessionToken"));
        c.awaitStatus(ok.getString("id"), ok.getString("sessionToken"), "ready", 60);

        JsonObject gone = c.create("fake-loopback", "metrics-cancel");
        c.awaitStatus(gone.getString("id"), gone.getString("sessionToken"), "awaiting_user", 60);
        c.post(gone.getString("id"), "cancel", null, gone.getString("sessionToken"));
        c.awaitStatus(gone.getString("id"), gone.getString("sessionToken"), "cancelled", 30);

        JsonObject denied = c.create("fake-device", "metrics-denied");
        c.awaitStatus(denied.getString("id"), denied.getString("sessionToken"), "awaiting_user", 60);
        Files.writeString(approve, "deny");
        c.awaitStatus(denied.getString("id"), denied.getString("sessionToken"), "failed", 60);

        ControllerFixture.Response r = c.call("GET", "/metrics", null, null);
        assertThat(r.status()).isEqualTo(200);
        scrape = r.body();
    }

    @AfterAll
    static void stop() throws Exception {
        c.close();
    }

    /** README rows: family → "type: label, label". */
    private static Map<String, String> readmeTable() throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (String line : Files.readAllLines(ControllerFixture.REPO.resolve("README.md"))) {
            Matcher m = ROW.matcher(line);
            if (m.find()) {
                Set<String> labels = new TreeSet<>();
                for (String l : m.group(3).split(",")) {
                    if (!l.isBlank()) {
                        labels.add(l.strip().replace("`", ""));
                    }
                }
                out.put(m.group(1), m.group(2) + ": " + String.join(", ", labels));
            }
        }
        return out;
    }

    /** Scraped families: family → "type: label, label" (a histogram's {@code le} left out). */
    private static Map<String, String> scrapedFamilies() {
        Map<String, String> types = new TreeMap<>();
        Map<String, Set<String>> labels = new TreeMap<>();
        for (String line : scrape.split("\n")) {
            Matcher t = TYPE.matcher(line);
            if (t.matches()) {
                types.put(t.group(1), t.group(2));
                labels.putIfAbsent(t.group(1), new TreeSet<>());
            }
            Matcher s = SAMPLE.matcher(line);
            if (s.matches() && s.group(2) != null) {
                String family = family(s.group(1), types.keySet());
                for (String kv : s.group(2).split(",")) {
                    String name = kv.substring(0, kv.indexOf('='));
                    if (!name.equals("le")) {
                        labels.computeIfAbsent(family, k -> new TreeSet<>()).add(name);
                    }
                }
            }
        }
        Map<String, String> out = new TreeMap<>();
        types.forEach((f, type) -> out.put(f, type + ": " + String.join(", ", labels.get(f))));
        return out;
    }

    private static String family(String sample, Set<String> families) {
        if (families.contains(sample)) {
            return sample;
        }
        for (String suffix : List.of("_bucket", "_count", "_sum")) {
            if (sample.endsWith(suffix) && families.contains(sample.substring(0, sample.length() - suffix.length()))) {
                return sample.substring(0, sample.length() - suffix.length());
            }
        }
        return sample;
    }

    private static double value(String sample) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(sample + " ")) {
                return Double.parseDouble(line.substring(sample.length() + 1));
            }
        }
        throw new AssertionError("no sample " + sample + " in:\n" + scrape);
    }

    @Test
    void theReadmeTableListsExactlyTheScrapedFamiliesTypesAndLabels() throws Exception {
        assertThat(readmeTable()).as("README.md '### Metrics' vs GET /metrics:\n%s", scrape)
            .isNotEmpty().isEqualTo(scrapedFamilies());
    }

    @Test
    void histogramsCountEverySessionInCumulativeBuckets() {
        assertThat(value("loginrelay_time_to_url_seconds_count{provider=\"fake-loopback\"}")).isEqualTo(2.0);
        assertThat(value("loginrelay_time_to_url_seconds_bucket{provider=\"fake-loopback\",le=\"+Inf\"}"))
            .isEqualTo(2.0);
        assertThat(value("loginrelay_time_to_url_seconds_bucket{provider=\"fake-loopback\",le=\"60.0\"}"))
            .as("a fake CLI's URL comes within a minute").isEqualTo(2.0);
        assertThat(value("loginrelay_time_to_ready_seconds_count{provider=\"fake-loopback\"}")).isEqualTo(1.0);
        assertThat(scrape).doesNotContain("quantile=");
    }

    @Test
    void aCancelIsCountedApartFromFailures() {
        assertThat(value("loginrelay_session_cancellations_total{provider=\"fake-loopback\"}")).isEqualTo(1.0);
        assertThat(scrape).as("the cancel is no failure").doesNotContain(
            "loginrelay_session_failures_total{error_code=\"UNKNOWN\",provider=\"fake-loopback\"}");
        assertThat(scrape).containsPattern(
            "loginrelay_session_failures_total\\{error_code=\"[A-Z_]+\",provider=\"fake-device\"} 1\\.0");
        assertThat(value("loginrelay_sessions{provider=\"fake-loopback\",status=\"ready\"}")).isEqualTo(1.0);
    }
}
