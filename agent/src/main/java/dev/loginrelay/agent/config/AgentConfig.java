package dev.loginrelay.agent.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The agent's effective configuration, from {@code LOGINRELAY_AGENT_*} environment variables overridden by
 * {@code --key value} flags (HikariConfig-style validation: fail fast, name the field). The bearer token itself is not
 * here: only the file it is read from.
 *
 * @param host         listen address (default {@code 127.0.0.1})
 * @param port         listen port, 0 for any free port (default 7070)
 * @param portFile     when set, the bound port is written there once listening (for supervisors that pass port 0)
 * @param tokenFile    file holding the API bearer token; generated (0600) when missing
 * @param workDir      per-session homes and the default locations below
 * @param providersDir operator directory of extra or overriding provider specs (may not exist)
 * @param logDir       per-session diagnostics logs
 * @param cliPath      dirs where the provider CLIs are installed, searched first
 * @param lockDir      host-wide locks shared by every agent on this host (codex's fixed port 1455)
 * @param maxRuns      most live runs at once
 * @param retainSeconds how long a finished run stays readable
 * @param runPath      the CLIs' PATH: {@code cliPath}, then the agent's {@code $PATH}, then the pinned CLIs
 *                     {@code scripts/install-clis.sh} installed, then the system dirs (see {@link CliSearchPath})
 * @param workspaceHome when set, this agent is a <em>workspace</em>: the HOME that installed credentials are written
 *                      into (and removed from); null on a login-only agent, which refuses installs
 * @param prestart     providers whose login this agent starts ahead of any request, one each, so the sign-in link is
 *                     there when a session asks ({@code --prestart claude,gemini}; empty: none). Only providers
 *                     whose logins share nothing on the host (no {@code exclusive} lock) and show a link, not a
 *                     device code
 * @param prestartSeconds how long a started-ahead login may wait for a session before it is discarded and a fresh
 *                     one started (default 600)
 * @param runAs        whose user the CLIs run as: {@code auto} (default: a throw-away user per login when the agent
 *                     is root and can make one, else the agent's own), {@code users} (always; fail at start if it
 *                     cannot), {@code self} (the agent's own user, each login still in its own 0700 HOME)
 */
public record AgentConfig(String host, int port, Path portFile, Path tokenFile, Path workDir, Path providersDir,
                          Path logDir, List<Path> cliPath, Path lockDir, int maxRuns, int retainSeconds,
                          List<Path> runPath, Path workspaceHome, List<String> prestart, int prestartSeconds, String runAs) {

    static final String PREFIX = "LOGINRELAY_AGENT_";
    private static final List<String> KEYS = List.of("HOST", "PORT", "PORT_FILE", "TOKEN_FILE", "WORK_DIR",
        "PROVIDERS_DIR", "LOG_DIR", "CLI_PATH", "LOCK_DIR", "MAX_RUNS", "RETAIN_SECONDS", "WORKSPACE_HOME", "PRESTART", "PRESTART_SECONDS", "RUN_AS");

    public AgentConfig {
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, not " + port);
        }
        Objects.requireNonNull(tokenFile, "tokenFile");
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(logDir, "logDir");
        Objects.requireNonNull(lockDir, "lockDir");
        cliPath = List.copyOf(cliPath);
        runPath = List.copyOf(runPath);
        if (maxRuns < 1) {
            throw new IllegalArgumentException("maxRuns cannot be less than 1");
        }
        if (retainSeconds < 1) {
            throw new IllegalArgumentException("retainSeconds cannot be less than 1");
        }
        prestart = List.copyOf(prestart);
        if (prestartSeconds < 1) {
            throw new IllegalArgumentException("prestartSeconds cannot be less than 1");
        }
        if (!List.of("auto", "users", "self").contains(runAs)) {
            throw new IllegalArgumentException("runAs must be auto, users or self, not '" + runAs + "'");
        }
    }

    /** Reads the environment, then applies {@code --key value} / {@code --key=value} flags on top. */
    public static AgentConfig from(Map<String, String> env, List<String> flags) {
        Map<String, String> v = new LinkedHashMap<>();
        env.forEach((k, val) -> {
            if (k.startsWith(PREFIX)) {
                v.put(k.substring(PREFIX.length()), val);
            }
        });
        for (int i = 0; i < flags.size(); i++) {
            String f = flags.get(i);
            if (!f.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + f + "' (flags look like --port 7070)");
            }
            String kv = f.substring(2);
            String key;
            String value;
            int eq = kv.indexOf('=');
            if (eq >= 0) {
                key = kv.substring(0, eq);
                value = kv.substring(eq + 1);
            } else if (i + 1 < flags.size()) {
                key = kv;
                value = flags.get(++i);
            } else {
                throw new IllegalArgumentException("flag --" + kv + " needs a value");
            }
            String name = key.toUpperCase(Locale.ROOT).replace('-', '_');
            if (!KEYS.contains(name)) {
                throw new IllegalArgumentException("unknown flag --" + key + " (known: " + flagNames() + ")");
            }
            v.put(name, value);
        }
        return of(v, env.get("PATH"), CliSearchPath.installed(env.get("LOGINRELAY_CLIS_DIR"),
            CliSearchPath.codeLocation()));
    }

    private static AgentConfig of(Map<String, String> v, String envPath, java.util.Optional<Path> installedClis) {
        Path work = Path.of(v.getOrDefault("WORK_DIR", ".loginrelay/agent")).toAbsolutePath().normalize();
        String cli = v.getOrDefault("CLI_PATH", "");
        List<Path> cliPath = cli.isBlank() ? List.of()
            : java.util.Arrays.stream(cli.split(":")).filter(s -> !s.isBlank()).map(Path::of).toList();
        return new AgentConfig(v.getOrDefault("HOST", "127.0.0.1"), integer(v, "PORT", 7070),
            path(v, "PORT_FILE", null), path(v, "TOKEN_FILE", work.resolve("agent.token")), work,
            path(v, "PROVIDERS_DIR", work.resolve("providers")), path(v, "LOG_DIR", work.resolve("logs")), cliPath,
            path(v, "LOCK_DIR", Path.of(System.getProperty("java.io.tmpdir"), "loginrelay-locks")),
            integer(v, "MAX_RUNS", 256), integer(v, "RETAIN_SECONDS", 3600),
            CliSearchPath.of(cliPath, envPath, installedClis), path(v, "WORKSPACE_HOME", null),
            names(v.getOrDefault("PRESTART", "")), integer(v, "PRESTART_SECONDS", 600),
            v.getOrDefault("RUN_AS", "auto").strip());
    }

    private static int integer(Map<String, String> v, String key, int def) {
        String s = v.get(key);
        if (s == null || s.isBlank()) {
            return def;
        }
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + key + " must be an integer, not '" + s + "'", e);
        }
    }

    /** {@code a,b}; blank or {@code none}: no names. */
    private static List<String> names(String s) {
        if (s.isBlank() || s.strip().equals("none")) {
            return List.of();
        }
        return java.util.Arrays.stream(s.split(",")).map(String::strip).filter(n -> !n.isEmpty()).distinct().toList();
    }

    private static Path path(Map<String, String> v, String key, Path def) {
        String s = v.get(key);
        return s == null || s.isBlank() ? def : Path.of(s).toAbsolutePath().normalize();
    }

    private static String flagNames() {
        return String.join(", ", KEYS.stream().map(k -> "--" + k.toLowerCase(Locale.ROOT).replace('_', '-')).toList());
    }

    /** One line for the log; holds no secret (the token stays in its file). */
    public String describe() {
        return "host=" + host + " port=" + port + " tokenFile=" + tokenFile + " token=<masked> workDir=" + workDir
            + " providersDir=" + providersDir + " logDir=" + logDir + " cliPath=" + cliPath + " runPath=" + runPath
            + " lockDir=" + lockDir + " maxRuns=" + maxRuns + " retainSeconds=" + retainSeconds
            + " workspaceHome=" + (workspaceHome == null ? "none" : workspaceHome)
            + " runAs=" + runAs + " prestart=" + (prestart.isEmpty() ? "none" : String.join(",", prestart) + " for " + prestartSeconds + " s");
    }
}
