package dev.loginrelay.agent.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

/** The results as Markdown: the machine, part 1's summary and raw values, part 2's tables. */
final class BenchReport {
    private final StringBuilder md = new StringBuilder();

    BenchReport(BenchOptions o) throws IOException {
        md.append("# Agent benchmark results\n\n");
        line("date", OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).toString());
        line("cpus", Runtime.getRuntime().availableProcessors() + " (" + cpuModel() + ")");
        line("memory", "MemTotal " + meminfo("MemTotal") / 1024 + " MiB, MemAvailable at start "
            + Host.memAvailableKiB() / 1024 + " MiB");
        line("load average at start (1/5/15 min)", loadavg());
        line("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        line("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        line("node", version(List.of("node", "--version")));
        line("codex", version(List.of(o.cliBin().resolve("codex").toString(), "--version")));
        String dirty = version(List.of("git", "-C", o.root().toString(), "status", "--porcelain", "--", "agent/src/main",
            "pom.xml", "agent/pom.xml"));
        line("source", "commit " + version(List.of("git", "-C", o.root().toString(), "rev-parse", "--short", "HEAD"))
            + (dirty.isEmpty() ? "" : " plus uncommitted changes in agent/src/main or the poms"));
        line("agent JVM", String.join(" ", o.jvmArgs()) + " -jar " + o.root().relativize(o.jar()));
        line("options", "runs=" + o.runs() + " warmup=" + o.warmup() + " levels=" + o.levels());
        md.append('\n');
    }

    void latency(UrlTimings.Result r) {
        Stats a = r.agent();
        Stats b = r.script();
        md.append("## Time to auth URL, real codex (ms)\n\n")
            .append("| side | runs | min | median | p90 | max |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
        row("(A) agent: POST /api/v1/runs → auth_url_ready event", a);
        row("(B) `script -q -c 'codex login' /dev/null`", b);
        List<Double> diffs = new java.util.ArrayList<>();
        for (int i = 0; i < r.agentMs().size(); i++) {
            diffs.add(r.agentMs().get(i) - r.scriptMs().get(i));
        }
        Stats d = Stats.of(diffs);
        md.append(String.format(Locale.ROOT, "%nRatio of medians A/B: **%.2f** (A − B = %s ms). Paired differences "
                + "A_i − B_i (each A and the B right after it): median %s ms, min %s, p90 %s. URL length %d on both "
                + "sides; agent runs that queued on the host lock: %d.%n%n", a.median() / b.median(),
                Stats.ms(a.median() - b.median()), Stats.ms(d.median()), Stats.ms(d.min()), Stats.ms(d.p90()),
                r.urlLength(), r.queuedRuns()))
            .append(String.format(Locale.ROOT, "Inside A, on the agent's own event clock (median / p90): "
                + "`started → cli_started` (host lock, fresh HOME, worker hop) %s / %s ms; `cli_started → "
                + "auth_url_ready` (PTY spawn, codex until the URL, scan, hop back) %s / %s ms. The rest of A is the "
                + "HTTP round trips and the long-poll wake-up.%n%n", Stats.ms(r.setup().median()),
                Stats.ms(r.setup().p90()), Stats.ms(r.cli().median()), Stats.ms(r.cli().p90())))
            .append("Load average (1/5/15 min) at the end of part 1: ").append(loadavg()).append(".\n\n")
            .append("Raw values in run order (A and B alternate):\n\n")
            .append("- A: ").append(a.raw()).append('\n')
            .append("- B: ").append(b.raw()).append("\n\n");
    }

    void memoryHeader(List<Integer> asked, List<Integer> used) {
        md.append("## Agent JVM per concurrent login (fake-paste.js, all at awaiting_user)\n\n");
        if (!asked.equals(used)) {
            md.append("Levels lowered from ").append(asked).append(" to ").append(used)
                .append(" because MemAvailable could not hold that many node children.\n\n");
        }
        md.append("| N | state | agent RSS MiB | threads | heap used MiB (committed) | node children | their RSS sum MiB |\n")
            .append("| ---: | --- | ---: | ---: | ---: | ---: | ---: |\n");
    }

    void level(MemoryPerLogin.Level l) {
        sampleRow(l.n(), "cold: fresh JVM, no login yet", l.cold());
        sampleRow(l.n(), "baseline: 1 login started and cancelled", l.warm());
        sampleRow(l.n(), String.format(Locale.ROOT, "%d waiting (all after %.1f s)", l.n(), l.secondsToAllWaiting()),
            l.loaded());
        sampleRow(l.n(), "all cancelled, children gone", l.afterCancel());
    }

    void deltas(List<MemoryPerLogin.Level> levels) {
        md.append("\nPer-login deltas, (value at N − baseline) / N, same JVM:\n\n")
            .append("| N | RSS KiB / login | threads / login | heap used KiB / login |\n| ---: | ---: | ---: | ---: |\n");
        for (MemoryPerLogin.Level l : levels) {
            md.append(String.format(Locale.ROOT, "| %d | %.0f | %.2f | %.1f |%n", l.n(), l.rssPerLogin(),
                l.threadsPerLogin(), l.heapPerLogin()));
        }
        md.append('\n');
    }

    void note(String text) {
        md.append(text).append("\n\n");
    }

    String markdown() {
        return md.toString();
    }

    void write(Path file) throws IOException {
        Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
    }

    private void row(String side, Stats s) {
        md.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s |%n", side, s.n(), Stats.ms(s.min()),
            Stats.ms(s.median()), Stats.ms(s.p90()), Stats.ms(s.max())));
    }

    private void sampleRow(int n, String state, MemoryPerLogin.Sample s) {
        md.append(String.format(Locale.ROOT, "| %d | %s | %.1f | %d | %.1f (%.0f) | %d | %.0f |%n", n, state,
            s.rssKiB() / 1024.0, s.threads(), s.heapUsedKiB() / 1024.0, s.heapCommittedKiB() / 1024.0, s.children(),
            s.childrenRssKiB() / 1024.0));
    }

    private void line(String key, String value) {
        md.append("- ").append(key).append(": ").append(value).append('\n');
    }

    static String loadavg() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static long meminfo(String key) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (l.startsWith(key + ":")) {
                return Long.parseLong(l.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    private static String cpuModel() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (l.startsWith("model name")) {
                return l.substring(l.indexOf(':') + 1).strip();
            }
        }
        return "unknown model";
    }

    private static String version(List<String> cmd) {
        try {
            return Host.run(cmd, 30).strip();
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown (interrupted)";
        }
    }
}
