package dev.loginrelay.agent.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's benchmark program (run by {@code scripts/bench-agent.sh}, not by surefire). Part 1 times the real
 * codex's auth URL through the agent against {@code script}; part 2 measures the agent JVM per concurrent login.
 * Everything it starts runs under a fresh {@code <out>/<timestamp>/} directory, talks only to loopback, and is
 * gone when it exits; any leftover is killed, listed, and fails the run. Writes {@code results.md} there.
 */
final class AgentBench {
    /** Node children use about 40 MiB each; keep this much per login, plus headroom, out of MemAvailable. */
    private static final long KIB_PER_CHILD = 64 * 1024;
    private static final long HEADROOM_KIB = 3L * 1024 * 1024;

    private AgentBench() {
    }

    public static void main(String[] args) throws Exception {
        BenchOptions o;
        try {
            o = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("agent-bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        Path dir = o.out().resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(dir);
        System.out.println("agent-bench: working in " + dir);
        BenchReport report = new BenchReport(o);
        int exit = 0;
        try {
            if (o.latency()) {
                System.out.println("part 1: time to auth URL, " + o.warmup() + " warm-up + " + o.runs()
                    + " measured runs per side, alternating");
                report.latency(UrlTimings.run(o, dir.resolve("latency")));
                exit |= leftovers(dir, report);
            }
            if (o.memory()) {
                memory(o, dir, report);
            }
        } catch (Exception e) {
            exit = 1;
            report.note("**The run failed:** " + e);
            e.printStackTrace();
        } finally {
            exit |= leftovers(dir, report);
            report.write(dir.resolve("results.md"));
            System.out.println();
            System.out.println(report.markdown());
            System.out.println("agent-bench: results in " + dir.resolve("results.md"));
        }
        System.exit(exit);
    }

    private static void memory(BenchOptions o, Path dir, BenchReport report) throws Exception {
        long fits = (Host.memAvailableKiB() - HEADROOM_KIB) / KIB_PER_CHILD;
        List<Integer> levels = o.levels().stream().map(n -> (int) Math.max(1, Math.min(n, fits))).distinct().toList();
        System.out.println("part 2: agent memory and threads at " + levels + " concurrent logins"
            + (levels.equals(o.levels()) ? "" : " (lowered from " + o.levels() + ": MemAvailable)"));
        report.memoryHeader(o.levels(), levels);
        List<MemoryPerLogin.Level> done = new ArrayList<>();
        try {
            for (int n : levels) {
                MemoryPerLogin.Level l = MemoryPerLogin.runLevel(o, dir.resolve("memory-" + n), n);
                report.level(l);
                done.add(l);
                if (leftovers(dir, report) != 0) {
                    throw new IllegalStateException("processes left behind after level " + n);
                }
            }
        } finally {
            if (!done.isEmpty()) {
                report.deltas(done);
            }
        }
    }

    /** Kills and reports anything still running under the benchmark's directory; 1 when there was something. */
    private static int leftovers(Path dir, BenchReport report) {
        List<ProcessHandle> left = Host.processesUnder(dir);
        if (left.isEmpty()) {
            return 0;
        }
        StringBuilder s = new StringBuilder("**Left behind and killed:**");
        for (ProcessHandle h : left) {
            s.append(' ').append(h.pid()).append(' ').append(h.info().command().orElse("?")).append(';');
            Host.killTree(h, 2000);
        }
        System.err.println("agent-bench: " + s);
        report.note(s.toString());
        return 1;
    }
}
