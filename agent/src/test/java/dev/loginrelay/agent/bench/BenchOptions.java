package dev.loginrelay.agent.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The benchmark's settings, from {@code --key value} arguments ({@code scripts/bench-agent.sh} passes them).
 *
 * @param root    the repository root
 * @param jar     the shaded agent jar
 * @param cliBin  the pinned CLIs' bin dir ({@code scripts/install-clis.sh} prints it)
 * @param out     where the run's working dirs and results go (a fresh sub-directory per invocation)
 * @param part    {@code latency}, {@code memory} or {@code all}
 * @param runs    measured runs per side in part 1
 * @param warmup  discarded runs per side before them
 * @param levels  concurrent logins per level in part 2
 * @param jvmArgs the agent JVM's options
 */
record BenchOptions(Path root, Path jar, Path cliBin, Path out, String part, int runs, int warmup,
                    List<Integer> levels, List<String> jvmArgs) {
    static final String USAGE = "usage: AgentBench --root DIR --cli-bin DIR [--jar F] [--out DIR]"
        + " [--part latency|memory|all] [--runs 20] [--warmup 3] [--levels 1,50,200] [--agent-jvm-args '-Xmx512m']";

    BenchOptions {
        levels = List.copyOf(levels);
        jvmArgs = List.copyOf(jvmArgs);
        if (runs < 1) {
            throw new IllegalArgumentException("runs cannot be less than 1");
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("warmup cannot be negative");
        }
        if (levels.isEmpty() || levels.stream().anyMatch(n -> n < 1 || n > 1000)) {
            throw new IllegalArgumentException("levels must be 1 to 1000 each, not " + levels);
        }
        if (!List.of("latency", "memory", "all").contains(part)) {
            throw new IllegalArgumentException("part must be latency, memory or all, not '" + part + "'");
        }
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("jar " + jar + " not found (mvn -DskipTests package)");
        }
        if (!Files.isExecutable(cliBin.resolve("codex"))) {
            throw new IllegalArgumentException("no codex in " + cliBin + " (scripts/install-clis.sh)");
        }
    }

    boolean latency() {
        return !part.equals("memory");
    }

    boolean memory() {
        return !part.equals("latency");
    }

    static BenchOptions parse(String[] args) {
        Path root = null;
        Path jar = null;
        Path cliBin = null;
        Path out = null;
        String part = "all";
        int runs = 20;
        int warmup = 3;
        List<Integer> levels = List.of(1, 50, 200);
        List<String> jvm = List.of("-Xmx512m");
        for (int i = 0; i < args.length; i++) {
            String key = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(key + " needs a value; " + USAGE);
            }
            String v = args[++i];
            switch (key) {
                case "--root" -> root = Path.of(v).toAbsolutePath();
                case "--jar" -> jar = Path.of(v).toAbsolutePath();
                case "--cli-bin" -> cliBin = Path.of(v).toAbsolutePath();
                case "--out" -> out = Path.of(v).toAbsolutePath();
                case "--part" -> part = v;
                case "--runs" -> runs = Integer.parseInt(v);
                case "--warmup" -> warmup = Integer.parseInt(v);
                case "--levels" -> levels = Arrays.stream(v.split(",")).map(String::strip).map(Integer::valueOf).toList();
                case "--agent-jvm-args" -> jvm = v.isBlank() ? List.of() : new ArrayList<>(Arrays.asList(v.split("\\s+")));
                default -> throw new IllegalArgumentException("unknown argument " + key + "; " + USAGE);
            }
        }
        if (root == null || cliBin == null) {
            throw new IllegalArgumentException("--root and --cli-bin are required; " + USAGE);
        }
        return new BenchOptions(root, jar != null ? jar : root.resolve("agent/target/loginrelay-agent.jar"), cliBin,
            out != null ? out : root.resolve("agent/target/bench"), part, runs, warmup, levels, jvm);
    }
}
