package dev.loginrelay.controller.vm.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link LocalVmPool} starts agents on this host.
 *
 * @param agentJar     {@code loginrelay-agent.jar}
 * @param dataDir      the controller's data dir: agents live in {@code agents/<agentId>}, the shared lock dir is
 *                     {@code locks}
 * @param cliPath      dirs holding the provider CLIs (the agent's {@code --cli-path}); may be empty
 * @param providersDir operator provider specs (the agent's {@code --providers-dir}); null = the agent's default
 * @param javaBin      the {@code java} to run the agent with; null = the controller's own
 * @param startTimeout how long an agent may take to listen and answer {@code /health}; null = 30 s
 * @param sessionsPerAgent how many sessions one agent process serves at once (1 = an agent per session)
 * @param warmAgents   how many agents with room are kept started ahead of the clicks (0 = start at the click)
 * @param retain       how long a released agent's dir (its log, the sessions' diagnostics and HOMEs) is kept;
 *                     null = 1 h ({@code LOGINRELAY_AGENT_RETAIN_SECONDS})
 * @param prestart     providers whose login each agent starts ahead of the clicks (the agent's {@code --prestart}),
 *                     so a click finds the CLI's link already out; empty = none
 * @param runAs        whose Unix user the agents run the CLIs as (the agent's {@code --run-as}: {@code auto},
 *                     {@code users}, {@code self})
 */
public record LocalPoolConfig(Path agentJar, Path dataDir, List<Path> cliPath, Path providersDir, Path javaBin,
                            Duration startTimeout, int sessionsPerAgent, int warmAgents, Duration retain,
                            List<String> prestart, String runAs) {
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(30);
    /** One agent JVM serves this many logins at once; each costs it ~0.3 MiB and 3 threads (docs/benchmarks.md). */
    public static final int DEFAULT_SESSIONS_PER_AGENT = 32;
    public static final Duration DEFAULT_RETAIN = Duration.ofHours(1);
    /**
     * The logins started ahead by default: every built-in one that shows a link (device codes expire on their
     * issuer's clock). Codex's, which holds the host's port 1455, gives it up the moment a session's login wants it.
     * Measured in docs/benchmarks.md.
     */
    public static final List<String> DEFAULT_PRESTART = List.of("claude", "codex", "gemini");

    public LocalPoolConfig {
        agentJar = Objects.requireNonNull(agentJar, "agentJar").toAbsolutePath().normalize();
        dataDir = Objects.requireNonNull(dataDir, "dataDir").toAbsolutePath().normalize();
        cliPath = cliPath == null ? List.of() : cliPath.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        providersDir = providersDir == null ? null : providersDir.toAbsolutePath().normalize();
        javaBin = javaBin == null ? currentJava() : javaBin.toAbsolutePath().normalize();
        startTimeout = startTimeout == null ? DEFAULT_START_TIMEOUT : startTimeout;
        if (startTimeout.isNegative() || startTimeout.isZero()) {
            throw new IllegalArgumentException("startTimeout must be positive, not " + startTimeout);
        }
        if (sessionsPerAgent < 1) {
            throw new IllegalArgumentException("LOGINRELAY_LOCAL_SESSIONS_PER_AGENT cannot be less than 1, not "
                + sessionsPerAgent);
        }
        if (warmAgents < 0) {
            throw new IllegalArgumentException("LOGINRELAY_LOCAL_WARM_AGENTS cannot be less than 0, not " + warmAgents);
        }
        retain = retain == null ? DEFAULT_RETAIN : retain;
        if (retain.toSeconds() < 1) {
            throw new IllegalArgumentException("LOGINRELAY_AGENT_RETAIN_SECONDS cannot be less than 1, not "
                + retain.toSeconds());
        }
        prestart = prestart == null ? List.of() : List.copyOf(prestart);
        runAs = runAs == null ? "auto" : runAs;
        if (!List.of("auto", "users", "self").contains(runAs)) {
            throw new IllegalArgumentException("LOGINRELAY_LOCAL_RUN_AS must be auto, users or self, not '" + runAs
                + "'");
        }
        for (String p : prestart) {
            if (!p.matches("[a-z0-9][a-z0-9._-]{0,63}")) {
                throw new IllegalArgumentException("LOGINRELAY_LOCAL_PRESTART names '" + p + "', which is not a "
                    + "provider name (comma-separated names like claude,gemini, or none)");
            }
        }
    }

    /** Without logins started ahead. */
    public LocalPoolConfig(Path agentJar, Path dataDir, List<Path> cliPath, Path providersDir, Path javaBin,
                           Duration startTimeout, int sessionsPerAgent, int warmAgents, Duration retain) {
        this(agentJar, dataDir, cliPath, providersDir, javaBin, startTimeout, sessionsPerAgent, warmAgents, retain,
            List.of(), "auto");
    }

    /** An agent per session, started at the click (no warm agent). */
    public LocalPoolConfig(Path agentJar, Path dataDir, List<Path> cliPath, Path providersDir, Path javaBin,
                           Duration startTimeout) {
        this(agentJar, dataDir, cliPath, providersDir, javaBin, startTimeout, 1, 0, null);
    }

    /** The same with another retention of released agents' dirs. */
    public LocalPoolConfig withRetain(Duration r) {
        return new LocalPoolConfig(agentJar, dataDir, cliPath, providersDir, javaBin, startTimeout, sessionsPerAgent,
            warmAgents, r, prestart, runAs);
    }

    /** The same with other logins started ahead by each agent. */
    public LocalPoolConfig withPrestart(List<String> providers) {
        return new LocalPoolConfig(agentJar, dataDir, cliPath, providersDir, javaBin, startTimeout, sessionsPerAgent,
            warmAgents, retain, providers, runAs);
    }

    /**
     * From {@code LOGINRELAY_AGENT_JAR} (default: found from this controller's jar, {@link DefaultPaths}),
     * {@code LOGINRELAY_CLI_PATH} ({@code :}-separated; default the CLIs {@code scripts/install-clis.sh} installed),
     * {@code LOGINRELAY_AGENT_PROVIDERS_DIR}, {@code LOGINRELAY_AGENT_START_SECONDS} (how long an agent may take to
     * answer, default 30), the warm agents' settings, {@code LOGINRELAY_AGENT_RETAIN_SECONDS} and
     * {@code LOGINRELAY_LOCAL_PRESTART} ({@code claude,codex,gemini}; {@code none} to start every login at the
     * click) and {@code LOGINRELAY_LOCAL_RUN_AS} ({@code auto}).
     */
    public static LocalPoolConfig fromEnv(Map<String, String> env, Path dataDir) {
        String cli = env.getOrDefault("LOGINRELAY_CLI_PATH", "");
        String providers = env.get("LOGINRELAY_AGENT_PROVIDERS_DIR");
        String jar = env.get("LOGINRELAY_AGENT_JAR");
        return new LocalPoolConfig(
            jar == null || jar.isBlank() ? DefaultPaths.agentJar(DefaultPaths.codeLocation()) : Path.of(jar.strip()),
            dataDir,
            cli.isBlank() ? DefaultPaths.cliPath(env.get("LOGINRELAY_CLIS_DIR"), DefaultPaths.codeLocation())
                : Arrays.stream(cli.split(":")).filter(s -> !s.isBlank()).map(Path::of).toList(),
            providers == null || providers.isBlank() ? null : Path.of(providers), null,
            seconds(env, "LOGINRELAY_AGENT_START_SECONDS"),
            count(env, "LOGINRELAY_LOCAL_SESSIONS_PER_AGENT", DEFAULT_SESSIONS_PER_AGENT),
            count(env, "LOGINRELAY_LOCAL_WARM_AGENTS", 1), seconds(env, "LOGINRELAY_AGENT_RETAIN_SECONDS"),
            names(env.get("LOGINRELAY_LOCAL_PRESTART")), env.getOrDefault("LOGINRELAY_LOCAL_RUN_AS", "auto").strip());
    }

    private static List<String> names(String v) {
        if (v == null || v.isBlank()) {
            return DEFAULT_PRESTART;
        }
        if (v.strip().equals("none")) {
            return List.of();
        }
        return Arrays.stream(v.split(",")).map(String::strip).filter(s -> !s.isEmpty()).distinct().toList();
    }

    private static Duration seconds(Map<String, String> env, String key) {
        String v = env.getOrDefault(key, "").strip();
        try {
            return v.isEmpty() ? null : Duration.ofSeconds(Long.parseLong(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number of seconds, not '" + v + "'");
        }
    }

    private static int count(Map<String, String> env, String key, int def) {
        String v = env.getOrDefault(key, "").strip();
        try {
            return v.isEmpty() ? def : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, not '" + v + "'");
        }
    }

    /** Defaults for the java binary and the start timeout. */
    public static LocalPoolConfig of(Path agentJar, Path dataDir, List<Path> cliPath, Path providersDir) {
        return new LocalPoolConfig(agentJar, dataDir, cliPath, providersDir, null, null);
    }

    /** Where the agents' shared host-wide locks live (codex's fixed callback port). */
    public Path lockDir() {
        return dataDir.resolve("locks");
    }

    /** An agent's work dir: its token, port file, log, sessions' homes and diagnostics. */
    public Path agentDir(String agentId) {
        return agentsDir().resolve(agentId);
    }

    /** Where the agents' work dirs are. */
    public Path agentsDir() {
        return dataDir.resolve("agents");
    }

    private static Path currentJava() {
        return ProcessHandle.current().info().command().map(Path::of)
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java"));
    }
}
