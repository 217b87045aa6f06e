package dev.loginrelay.agent.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Renders {@code docs/compatibility.md} from the records {@link CompatibilityRecorder} wrote during the test run:
 * one row per provider × installed CLI version × flow × entry point, ✅ when every test of it passed, ❌ when one
 * failed, then every test. The latest record of a test wins. JDK only, so {@code scripts/compat-table.sh} runs it
 * with nothing but the compiled test classes:
 * {@code java -cp agent/target/test-classes dev.loginrelay.agent.testing.CompatibilityTable OUT.md DIR...}.
 */
public final class CompatibilityTable {
    private static final List<String> VIA_ORDER = List.of("cli", "agent", "controller");

    private CompatibilityTable() {
    }

    /** {@code args[0]} the markdown file to write; the rest, directories of {@code *.jsonl} records (or files). */
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: CompatibilityTable OUT.md RECORDS_DIR_OR_FILE...");
            System.exit(2);
        }
        List<CompatRecord> records = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            records.addAll(read(Path.of(args[i])));
        }
        Path out = Path.of(args[0]);
        Files.writeString(out, render(latest(records)), StandardCharsets.UTF_8);
        System.out.println("wrote " + out + " (" + latest(records).size() + " test results)");
    }

    static List<CompatRecord> read(Path source) throws IOException {
        if (!Files.exists(source)) {
            return List.of();
        }
        List<Path> files;
        if (Files.isDirectory(source)) {
            try (Stream<Path> s = Files.list(source)) {
                files = s.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
            }
        } else {
            files = List.of(source);
        }
        List<CompatRecord> out = new ArrayList<>();
        for (Path f : files) {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    out.add(CompatRecord.parse(line));
                }
            }
        }
        return out;
    }

    /** The newest record of each test (a re-run replaces the earlier result). */
    static List<CompatRecord> latest(List<CompatRecord> records) {
        Map<String, CompatRecord> byKey = new LinkedHashMap<>();
        for (CompatRecord r : records) {
            byKey.merge(r.key(), r, (a, b) -> b.at().compareTo(a.at()) >= 0 ? b : a);
        }
        return byKey.values().stream().sorted(order()).toList();
    }

    static String render(List<CompatRecord> results) {
        StringBuilder md = new StringBuilder("# Compatibility: provider × pinned CLI version × login flow\n\n")
            .append("Generated from the results of the last test run by `scripts/compat-table.sh`, which\n")
            .append("`scripts/test.sh` runs after `mvn verify`, pass or fail: do not edit by hand. Each row is one\n")
            .append("login flow of one CLI version, run for real by the installed CLI (`scripts/install-clis.sh`,\n")
            .append("pins in `snapshot/clis.txt`) against the local fake identity provider behind the test proxy\n")
            .append("(`agent/src/test/java/dev/loginrelay/agent/testing/net/`), nothing leaving 127.0.0.1.\n")
            .append("✅ every test of the row passed in that run; ❌ at least one failed (see *Tests* below).\n")
            .append("*Through*: `cli` = the test ran the CLI itself, `agent` = the agent's API, `controller` = the\n")
            .append("controller's public API with a real agent process.\n\n");
        if (results.isEmpty()) {
            return md.append("No results: no real-CLI test ran (`scripts/test.sh` runs them).\n").toString();
        }
        md.append("| Provider | CLI | Version | Flow | Through | Result | Tests passed | Last run |\n")
            .append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        Map<List<String>, List<CompatRecord>> rows = results.stream().collect(Collectors.groupingBy(
            r -> List.of(r.provider(), r.cliPackage(), r.version(), r.flow(), r.via()), LinkedHashMap::new,
            Collectors.toList()));
        rows.forEach((k, rs) -> {
            long passed = rs.stream().filter(CompatRecord::passed).count();
            String last = rs.stream().map(CompatRecord::at).max(String::compareTo).orElse("");
            md.append(row(k.get(0), "`" + k.get(1) + "`", k.get(2), k.get(3), k.get(4),
                passed == rs.size() ? "✅" : "❌", passed + "/" + rs.size(), date(last)));
        });
        md.append("\n## Tests\n\n| Provider | Version | Flow | Through | Test | Result |\n")
            .append("| --- | --- | --- | --- | --- | --- |\n");
        for (CompatRecord r : results) {
            md.append(row(r.provider(), r.version(), r.flow(), r.via(), "`" + r.test() + "`",
                r.passed() ? "✅ pass" : "❌ fail"));
        }
        return md.toString();
    }

    private static Comparator<CompatRecord> order() {
        return Comparator.comparing(CompatRecord::provider).thenComparing(CompatRecord::version)
            .thenComparing(CompatRecord::flow)
            .thenComparing(r -> VIA_ORDER.indexOf(r.via()) < 0 ? VIA_ORDER.size() : VIA_ORDER.indexOf(r.via()))
            .thenComparing(CompatRecord::test);
    }

    private static String row(String... cells) {
        return "| " + Stream.of(cells).map(c -> c.replace("|", "\\|")).collect(Collectors.joining(" | ")) + " |\n";
    }

    private static String date(String instant) {
        return instant.length() >= 10 ? instant.substring(0, 10) : instant;
    }
}
