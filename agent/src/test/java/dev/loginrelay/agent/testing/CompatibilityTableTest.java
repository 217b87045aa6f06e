package dev.loginrelay.agent.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The compatibility records and the table rendered from them: pure, no CLI. */
final class CompatibilityTableTest {
    private static CompatRecord rec(String provider, String flow, String via, String test, String result, String at) {
        return new CompatRecord(provider, "@x/" + provider, "1.2.3", flow, via, test, result, at);
    }

    @Test
    void aRecordSurvivesItsJsonLineEvenWithQuotesAndBackslashes() {
        CompatRecord r = rec("codex", "browser \"x\" \\ y", "agent", "T.m [1] a|b", "PASS", "2026-11-22T05:00:00Z");
        assertThat(CompatRecord.parse(r.toJson())).isEqualTo(r);
        assertThatThrownBy(() -> CompatRecord.parse("{\"provider\":\"codex\"}"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("package");
    }

    @Test
    void theLatestResultOfATestWins() {
        List<CompatRecord> latest = CompatibilityTable.latest(List.of(
            rec("codex", "browser", "agent", "T.a", "FAIL", "2026-11-22T05:00:00Z"),
            rec("codex", "browser", "agent", "T.a", "PASS", "2026-11-22T06:00:00Z"),
            rec("codex", "browser", "agent", "T.b", "PASS", "2026-11-22T05:00:00Z")));
        assertThat(latest).extracting(CompatRecord::result).containsExactly("PASS", "PASS");
    }

    @Test
    void rendersOneRowPerFlowRedWhenAnyTestFailed(@TempDir Path dir) throws Exception {
        Path records = Files.createDirectories(dir.resolve("agent"));
        Files.writeString(records.resolve("agent.jsonl"), String.join("\n",
            rec("gemini", "paste", "agent", "G.ok", "PASS", "2026-11-22T05:00:00Z").toJson(),
            rec("codex", "browser", "controller", "C.ok", "PASS", "2026-11-22T05:00:00Z").toJson(),
            rec("codex", "browser", "agent", "B.ok", "PASS", "2026-11-22T05:00:00Z").toJson(),
            rec("codex", "browser", "agent", "B.denied", "FAIL", "2026-11-22T05:01:00Z").toJson()) + "\n");
        Path out = dir.resolve("compatibility.md");

        CompatibilityTable.main(new String[] {out.toString(), records.toString(), dir.resolve("missing").toString()});

        String md = Files.readString(out);
        assertThat(md).startsWith("# Compatibility").contains("do not edit by hand")
            .containsSubsequence(
                "| codex | `@x/codex` | 1.2.3 | browser | agent | ❌ | 1/2 |\n",
                "| codex | `@x/codex` | 1.2.3 | browser | controller | ✅ | 1/1 |\n",
                "| gemini | `@x/gemini` | 1.2.3 | paste | agent | ✅ | 1/1 |\n",
                "## Tests", "| codex | 1.2.3 | browser | agent | `B.denied` | ❌ fail |");
    }

    @Test
    void aRerunWithTheSameResultsRendersTheSameTable() {
        String first = CompatibilityTable.render(CompatibilityTable.latest(List.of(
            rec("codex", "device", "agent", "D.ok", "PASS", "2026-11-22T05:00:00Z"))));
        String later = CompatibilityTable.render(CompatibilityTable.latest(List.of(
            rec("codex", "device", "agent", "D.ok", "PASS", "2026-12-02T04:00:00Z"))));
        assertThat(later).as("no date in the table, so the committed file stays put").isEqualTo(first)
            .doesNotContain("2026");
    }

    @Test
    void saysSoWhenNoRealCliTestRan() {
        assertThat(CompatibilityTable.render(List.of())).contains("No results");
    }
}
