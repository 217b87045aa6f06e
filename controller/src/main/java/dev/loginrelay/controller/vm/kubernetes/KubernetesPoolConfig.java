package dev.loginrelay.controller.vm.kubernetes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How {@link KubernetesVmPool} claims sandboxes ({@code LOGINRELAY_K8S_*}).
 *
 * @param apiUrl           the API server; null = what the client finds itself (in a pod: its service account)
 * @param namespace        where the warm pool lives and the claims are made; null = the client's (in a pod: its own)
 * @param warmPool         the SandboxWarmPool every claim names ({@code replicas: 0} makes every claim a cold start
 *                         from the pool's template); null when {@code template} is set
 * @param template         the SandboxTemplate each session's {@code Sandbox} is made from, cold, when no warm pool is
 *                         used; null when {@code warmPool} is set. Exactly one of the two is set.
 * @param agentPort        the port the agent listens on in the sandbox
 * @param bootstrapToken   the file holding the token every sandbox of the pool starts with (the Secret the template
 *                         mounts); used once per claim, to give the claimed agent its own
 * @param tokenKey         the file holding the key each claim's own token is derived from (HMAC), the same on every
 *                         replica, so any replica reaches a claimed agent after a restart
 * @param readyTimeout     from the claim until its sandbox is ready and its agent answers with its own token
 * @param claimTtl         the claim's {@code lifecycle.shutdownTime} from its creation: the cluster deletes a claim
 *                         no controller released (a replica that was gone for good)
 * @param replica          this controller replica's name, on its claims as a label
 */
public record KubernetesPoolConfig(String apiUrl, String namespace, String warmPool, String template,
                                   int agentPort,
                                   Path bootstrapToken, Path tokenKey, Duration readyTimeout, Duration claimTtl,
                                   String replica) {
    /** A DNS-1123 label: namespaces and the names of the objects referenced here. */
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    /** A label value (replica names go on claims as labels). */
    private static final Pattern LABEL_VALUE = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

    public KubernetesPoolConfig {
        if (namespace != null && !DNS_LABEL.matcher(namespace).matches()) {
            throw new IllegalArgumentException("LOGINRELAY_K8S_NAMESPACE must be a DNS label (lower-case letters, "
                + "digits, '-'; at most 63), not '" + namespace + "'");
        }
        if ((warmPool == null) == (template == null)) {
            throw new IllegalArgumentException("set exactly one of LOGINRELAY_K8S_WARM_POOL (the SandboxWarmPool to "
                + "claim from) and LOGINRELAY_K8S_TEMPLATE (the SandboxTemplate to start a Sandbox from per session) "
                + "when LOGINRELAY_VM_PROVIDER=kubernetes; " + (warmPool == null ? "neither is set" : "both are set"));
        }
        if (warmPool != null && !DNS_LABEL.matcher(warmPool).matches()) {
            throw new IllegalArgumentException("LOGINRELAY_K8S_WARM_POOL must be a DNS label, not '" + warmPool + "'");
        }
        if (template != null && !DNS_LABEL.matcher(template).matches()) {
            throw new IllegalArgumentException("LOGINRELAY_K8S_TEMPLATE must be a DNS label, not '" + template + "'");
        }
        if (agentPort < 1 || agentPort > 65535) {
            throw new IllegalArgumentException("LOGINRELAY_K8S_AGENT_PORT must be 1-65535, not " + agentPort);
        }
        Objects.requireNonNull(bootstrapToken, "LOGINRELAY_K8S_BOOTSTRAP_TOKEN_FILE");
        Objects.requireNonNull(tokenKey, "LOGINRELAY_K8S_TOKEN_KEY_FILE");
        if (readyTimeout.isNegative() || readyTimeout.isZero()) {
            throw new IllegalArgumentException("LOGINRELAY_K8S_READY_SECONDS must be positive");
        }
        if (claimTtl.compareTo(readyTimeout) <= 0) {
            throw new IllegalArgumentException("LOGINRELAY_K8S_CLAIM_TTL_SECONDS must be longer than "
                + "LOGINRELAY_K8S_READY_SECONDS");
        }
        if (replica == null || !LABEL_VALUE.matcher(replica).matches()) {
            throw new IllegalArgumentException("the replica name (LOGINRELAY_K8S_REPLICA, else LOGINRELAY_REPLICA_ID,"
                + " else HOSTNAME) must be a label value (letters, digits, '-', '_', '.'; at most 63), not '"
                + replica + "'");
        }
    }

    /** Sessions get a Sandbox of their own from {@link #template}, not a claim on a warm pool. */
    public boolean fromTemplate() {
        return template != null;
    }

    /** Reads {@code LOGINRELAY_K8S_*}; fails naming the variable that is missing or wrong. */
    public static KubernetesPoolConfig fromEnv(Map<String, String> env) {
        String replica = first(env, "LOGINRELAY_K8S_REPLICA", "LOGINRELAY_REPLICA_ID", "HOSTNAME");
        return new KubernetesPoolConfig(blankToNull(env.get("LOGINRELAY_K8S_API_URL")),
            blankToNull(env.get("LOGINRELAY_K8S_NAMESPACE")), blankToNull(env.get("LOGINRELAY_K8S_WARM_POOL")),
            blankToNull(env.get("LOGINRELAY_K8S_TEMPLATE")),
            integer(env, "LOGINRELAY_K8S_AGENT_PORT", 7070),
            file(env, "LOGINRELAY_K8S_BOOTSTRAP_TOKEN_FILE", "the token the pool's sandboxes start with"),
            file(env, "LOGINRELAY_K8S_TOKEN_KEY_FILE", "the key each claimed agent's own token is derived from"),
            Duration.ofSeconds(integer(env, "LOGINRELAY_K8S_READY_SECONDS", 120)),
            Duration.ofSeconds(integer(env, "LOGINRELAY_K8S_CLAIM_TTL_SECONDS", 3600)), replica);
    }

    private static Path file(Map<String, String> env, String name, String what) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(name + " is required when LOGINRELAY_VM_PROVIDER=kubernetes: " + what);
        }
        return Path.of(v.strip());
    }

    private static int integer(Map<String, String> env, String name, int dflt) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, not '" + v + "'", e);
        }
    }

    private static String first(Map<String, String> env, String... names) {
        for (String n : names) {
            String v = blankToNull(env.get(n));
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
