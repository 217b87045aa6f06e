package dev.loginrelay.controller;

import dev.loginrelay.controller.support.Secret;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The controller's effective configuration from {@code LOGINRELAY_*} environment variables; defaults in one place,
 * validated at start (HikariConfig style). Secrets are {@link Secret}s or files; {@link #describe()} masks them.
 *
 * @param databaseUrl  JDBC URL of PostgreSQL; null = embedded PostgreSQL under {@code dataDir/pg}
 * @param apiKey       key that creates sessions (the product's backend); null = read or generate {@code dataDir/api-key}
 * @param operatorToken token of operator endpoints; null = read or generate {@code dataDir/operator-token}
 * @param vmProvider   the VM back-end's name ({@code local}, {@code static}, {@code qemu}); each back-end reads and
 *                     validates its own settings ({@link Backends})
 * @param sessionTtl   default session deadline; {@code providerTtl} overrides it per provider
 * @param agentLostAfter how long an agent may stop answering before its sessions fail
 * @param maxStarting  sessions starting at once on this replica (getting an agent until the CLI shows its step);
 *                     the others wait {@code pending} in creation order ({@code LOGINRELAY_MAX_STARTING},
 *                     default twice the cores)
 * @param maxPending   sessions that may wait to start at once; a create beyond is {@code 429} with Retry-After
 *                     ({@code LOGINRELAY_MAX_PENDING}, default 1000)
 * @param uiDemo       serve {@code POST /ui/sessions}, which creates sessions for the bundled Connect page with the
 *                     API key held here ({@code LOGINRELAY_UI_DEMO}, default false: anyone who reaches the port
 *                     could create sessions; {@code scripts/run.sh} turns it on for its loopback quick start)
 */
public record ControllerConfig(String httpHost, int httpPort, Path dataDir, String databaseUrl, String databaseUser,
                               Secret databasePassword, int databasePoolSize, Secret apiKey, Secret operatorToken,
                               String vmProvider, Duration sessionTtl, Map<String, Duration> providerTtl,
                               Duration sweepInterval, Duration agentLostAfter, String replicaId, boolean uiDemo,
                               int maxStarting, int maxPending) {

    public ControllerConfig {
        Objects.requireNonNull(httpHost, "httpHost");
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("LOGINRELAY_HTTP_PORT must be between 0 and 65535, not " + httpPort);
        }
        Objects.requireNonNull(dataDir, "dataDir");
        if (maxStarting < 1) {
            throw new IllegalArgumentException("LOGINRELAY_MAX_STARTING cannot be less than 1");
        }
        if (maxPending < 1) {
            throw new IllegalArgumentException("LOGINRELAY_MAX_PENDING cannot be less than 1");
        }
        if (databasePoolSize < 1) {
            throw new IllegalArgumentException("LOGINRELAY_DATABASE_POOL_SIZE cannot be less than 1");
        }
        if (!Backends.ALL.knows(vmProvider)) {
            throw new IllegalArgumentException("LOGINRELAY_VM_PROVIDER must be one of "
                + String.join(", ", Backends.ALL.names()) + ", not " + vmProvider);
        }
        providerTtl = Map.copyOf(providerTtl);
        if (sessionTtl.isNegative() || sessionTtl.isZero()) {
            throw new IllegalArgumentException("LOGINRELAY_SESSION_TTL_SECONDS must be positive");
        }
    }

    /** Reads {@code env}; file variants ({@code *_FILE}) are read here, so this is blocking. */
    public static ControllerConfig fromEnv(Map<String, String> env) {
        Path data = Path.of(env.getOrDefault("LOGINRELAY_DATA_DIR", ".loginrelay/controller")).toAbsolutePath()
            .normalize();
        return new ControllerConfig(env.getOrDefault("LOGINRELAY_HTTP_HOST", "127.0.0.1"),
            integer(env, "LOGINRELAY_HTTP_PORT", 8080), data, blankToNull(env.get("LOGINRELAY_DATABASE_URL")),
            env.getOrDefault("LOGINRELAY_DATABASE_USER", "postgres"), secret(env, "LOGINRELAY_DATABASE_PASSWORD"),
            integer(env, "LOGINRELAY_DATABASE_POOL_SIZE", 10), secret(env, "LOGINRELAY_API_KEY"),
            secret(env, "LOGINRELAY_OPERATOR_TOKEN"), env.getOrDefault("LOGINRELAY_VM_PROVIDER", "local"),
            Duration.ofSeconds(integer(env, "LOGINRELAY_SESSION_TTL_SECONDS", 300)),
            ttls(env.getOrDefault("LOGINRELAY_PROVIDER_TTLS", "")),
            Duration.ofMillis(integer(env, "LOGINRELAY_SWEEP_INTERVAL_MS", 1000)),
            Duration.ofSeconds(integer(env, "LOGINRELAY_AGENT_LOST_SECONDS", 5)),
            env.getOrDefault("LOGINRELAY_REPLICA_ID", "replica-" + ProcessHandle.current().pid()),
            bool(env, "LOGINRELAY_UI_DEMO", false),
            integer(env, "LOGINRELAY_MAX_STARTING", 2 * Runtime.getRuntime().availableProcessors()),
            integer(env, "LOGINRELAY_MAX_PENDING", 1000));
    }

    /** The session deadline for a provider. */
    public Duration ttlOf(String provider) {
        return providerTtl.getOrDefault(provider, sessionTtl);
    }

    private static Map<String, Duration> ttls(String spec) {
        Map<String, Duration> out = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            String[] kv = part.strip().split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("LOGINRELAY_PROVIDER_TTLS entries look like codex=600, not " + part);
            }
            out.put(kv[0].strip(), Duration.ofSeconds(parse("LOGINRELAY_PROVIDER_TTLS", kv[1].strip())));
        }
        return out;
    }

    private static Secret secret(Map<String, String> env, String key) {
        String file = env.get(key + "_FILE");
        if (file != null && !file.isBlank()) {
            return dev.loginrelay.controller.support.SecretFiles.read(Path.of(file));
        }
        String v = env.get(key);
        return v == null || v.isBlank() ? null : Secret.of(v);
    }

    private static int integer(Map<String, String> env, String key, int def) {
        String v = env.get(key);
        return v == null || v.isBlank() ? def : parse(key, v.strip());
    }

    private static int parse(String key, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, not '" + v + "'", e);
        }
    }

    private static boolean bool(Map<String, String> env, String key, boolean def) {
        String v = env.get(key);
        if (v == null || v.isBlank()) {
            return def;
        }
        return switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(key + " must be true or false, not '" + v + "'");
        };
    }

    private static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.strip();
    }

    public ControllerConfig withSecrets(Secret newApiKey, Secret newOperatorToken) {
        return new ControllerConfig(httpHost, httpPort, dataDir, databaseUrl, databaseUser, databasePassword,
            databasePoolSize, newApiKey, newOperatorToken, vmProvider,
            sessionTtl, providerTtl, sweepInterval, agentLostAfter, replicaId, uiDemo, maxStarting, maxPending);
    }

    public ControllerConfig withDatabase(String url, String user, Secret password) {
        return new ControllerConfig(httpHost, httpPort, dataDir, url, user, password, databasePoolSize, apiKey,
            operatorToken, vmProvider, sessionTtl, providerTtl,
            sweepInterval, agentLostAfter, replicaId, uiDemo, maxStarting, maxPending);
    }

    /** One log line; no secret. */
    public String describe() {
        return "http=" + httpHost + ":" + httpPort + " dataDir=" + dataDir + " database="
            + (databaseUrl == null ? "embedded" : maskUrl(databaseUrl)) + " pool=" + databasePoolSize
            + " apiKey=<masked> operatorToken=<masked> vmProvider=" + vmProvider
            + " sessionTtl=" + sessionTtl.toSeconds() + "s providerTtl=" + providerTtl
            + " replica=" + replicaId + " uiDemo=" + uiDemo + " maxStarting=" + maxStarting
            + " maxPending=" + maxPending;
    }

    private static String maskUrl(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1<masked>").replaceAll("//([^:/@]+):[^@/]*@", "//$1:<masked>@");
    }

    /** Lower-case key for metrics and logs. */
    static String key(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
