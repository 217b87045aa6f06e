package dev.loginrelay.controller.dispatch;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How {@link LocalVmProvider} starts agents on this host.
 *
 * @param agentJar     {@code loginrelay-agent.jar}
 * @param dataDir      the controller's data dir: agents live in {@code agents/<agentId>}, the shared lock dir is
 *                     {@code locks}
 * @param cliPath      dirs holding the provider CLIs (the agent's {@code --cli-path}); may be empty
 * @param providersDir operator provider specs (the agent's {@code --providers-dir}); null = the agent's default
 * @param javaBin      the {@code java} to run the agent with; null = the controller's own
 * @param startTimeout how long an agent may take to listen and answer {@code /health}; null = 30 s
 * @param retain       how long a released agent's dir (its log, the session's diagnostics and HOME) is kept;
 *                     null = 1 h ({@code LOGINRELAY_AGENT_RETAIN_SECONDS})
 */
public record LocalVmConfig(Path agentJar, Path dataDir, List<Path> cliPath, Path providersDir, Path javaBin,
                            Duration startTimeout, Duration retain) {
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_RETAIN = Duration.ofHours(1);

    public LocalVmConfig {
        agentJar = Objects.requireNonNull(agentJar, "agentJar").toAbsolutePath().normalize();
        dataDir = Objects.requireNonNull(dataDir, "dataDir").toAbsolutePath().normalize();
        cliPath = cliPath == null ? List.of() : cliPath.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        providersDir = providersDir == null ? null : providersDir.toAbsolutePath().normalize();
        javaBin = javaBin == null ? currentJava() : javaBin.toAbsolutePath().normalize();
        startTimeout = startTimeout == null ? DEFAULT_START_TIMEOUT : startTimeout;
        if (startTimeout.isNegative() || startTimeout.isZero()) {
            throw new IllegalArgumentException("startTimeout must be positive, not " + startTimeout);
        }
        retain = retain == null ? DEFAULT_RETAIN : retain;
        if (retain.toSeconds() < 1) {
            throw new IllegalArgumentException("LOGINRELAY_AGENT_RETAIN_SECONDS cannot be less than 1, not "
                + retain.toSeconds());
        }
    }

    /** The default retention. */
    public LocalVmConfig(Path agentJar, Path dataDir, List<Path> cliPath, Path providersDir, Path javaBin,
                         Duration startTimeout) {
        this(agentJar, dataDir, cliPath, providersDir, javaBin, startTimeout, null);
    }

    /** The same with {@code retain} ({@code LOGINRELAY_AGENT_RETAIN_SECONDS} in {@code env}; unset = 1 h). */
    public LocalVmConfig withRetain(java.util.Map<String, String> env) {
        String s = env.get("LOGINRELAY_AGENT_RETAIN_SECONDS");
        Duration r;
        try {
            r = s == null || s.isBlank() ? null : Duration.ofSeconds(Long.parseLong(s.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("LOGINRELAY_AGENT_RETAIN_SECONDS must be an integer, not '" + s + "'", e);
        }
        return new LocalVmConfig(agentJar, dataDir, cliPath, providersDir, javaBin, startTimeout, r);
    }

    /** Defaults for the java binary and the start timeout. */
    public static LocalVmConfig of(Path agentJar, Path dataDir, List<Path> cliPath, Path providersDir) {
        return new LocalVmConfig(agentJar, dataDir, cliPath, providersDir, null, null);
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
