package dev.loginrelay.controller.vm.kubernetes;

import dev.loginrelay.controller.support.Secret;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code LOGINRELAY_K8S_*}: defaults, and each mistake refused with the variable named. */
class KubernetesPoolConfigTest {
    private static Map<String, String> valid() {
        Map<String, String> env = new HashMap<>();
        env.put("LOGINRELAY_K8S_WARM_POOL", "loginrelay-agents");
        env.put("LOGINRELAY_K8S_BOOTSTRAP_TOKEN_FILE", "/run/secrets/agent/token");
        env.put("LOGINRELAY_K8S_TOKEN_KEY_FILE", "/run/secrets/loginrelay/claim-token-key");
        env.put("HOSTNAME", "loginrelay-controller-7d9f-abcde");
        return env;
    }

    @Test
    void defaultsFromTheFewRequiredSettings() {
        KubernetesPoolConfig c = KubernetesPoolConfig.fromEnv(valid());
        assertThat(c.agentPort()).isEqualTo(7070);
        assertThat(c.readyTimeout()).isEqualTo(Duration.ofSeconds(120));
        assertThat(c.claimTtl()).isEqualTo(Duration.ofHours(1));
        assertThat(c.namespace()).as("the client's own namespace").isNull();
        assertThat(c.replica()).isEqualTo("loginrelay-controller-7d9f-abcde");
    }

    @Test
    void replicaNameComesFromTheMostSpecificSetting() {
        Map<String, String> env = valid();
        env.put("LOGINRELAY_REPLICA_ID", "replica-b");
        assertThat(KubernetesPoolConfig.fromEnv(env).replica()).isEqualTo("replica-b");
        env.put("LOGINRELAY_K8S_REPLICA", "controller-0");
        assertThat(KubernetesPoolConfig.fromEnv(env).replica()).isEqualTo("controller-0");
    }

    @Test
    void refusesEachMistakeNamingTheVariable() {
        assertRefused("LOGINRELAY_K8S_WARM_POOL", null, "set exactly one of LOGINRELAY_K8S_WARM_POOL (the "
            + "SandboxWarmPool to claim from) and LOGINRELAY_K8S_TEMPLATE");
        assertRefused("LOGINRELAY_K8S_WARM_POOL", "Not_A_Name", "LOGINRELAY_K8S_WARM_POOL must be a DNS label");
        assertRefused("LOGINRELAY_K8S_NAMESPACE", "UPPER", "LOGINRELAY_K8S_NAMESPACE must be a DNS label");
        assertRefused("LOGINRELAY_K8S_AGENT_PORT", "70000", "LOGINRELAY_K8S_AGENT_PORT must be 1-65535");
        assertRefused("LOGINRELAY_K8S_AGENT_PORT", "http", "LOGINRELAY_K8S_AGENT_PORT must be a whole number");
        assertRefused("LOGINRELAY_K8S_BOOTSTRAP_TOKEN_FILE", " ", "LOGINRELAY_K8S_BOOTSTRAP_TOKEN_FILE is required");
        assertRefused("LOGINRELAY_K8S_TOKEN_KEY_FILE", null, "LOGINRELAY_K8S_TOKEN_KEY_FILE is required");
        assertRefused("LOGINRELAY_K8S_READY_SECONDS", "0", "LOGINRELAY_K8S_READY_SECONDS must be positive");
        assertRefused("LOGINRELAY_K8S_CLAIM_TTL_SECONDS", "60", "LOGINRELAY_K8S_CLAIM_TTL_SECONDS must be longer");
        assertRefused("HOSTNAME", "bad name!", "the replica name");
    }

    private static void assertRefused(String name, String value, String message) {
        Map<String, String> env = valid();
        if (value == null) {
            env.remove(name);
        } else {
            env.put(name, value);
        }
        assertThatThrownBy(() -> KubernetesPoolConfig.fromEnv(env)).as("%s=%s", name, value)
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    void exactlyOneOfWarmPoolAndTemplate() {
        Map<String, String> env = valid();
        assertThat(KubernetesPoolConfig.fromEnv(env).fromTemplate()).isFalse();
        env.put("LOGINRELAY_K8S_TEMPLATE", "loginrelay-agent");
        assertThatThrownBy(() -> KubernetesPoolConfig.fromEnv(env)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("LOGINRELAY_K8S_WARM_POOL").hasMessageContaining("LOGINRELAY_K8S_TEMPLATE")
            .hasMessageContaining("both are set");
        env.remove("LOGINRELAY_K8S_WARM_POOL");
        KubernetesPoolConfig t = KubernetesPoolConfig.fromEnv(env);
        assertThat(t.fromTemplate()).isTrue();
        assertThat(t.template()).isEqualTo("loginrelay-agent");
        assertThat(t.warmPool()).isNull();
        env.put("LOGINRELAY_K8S_TEMPLATE", " ");
        assertThatThrownBy(() -> KubernetesPoolConfig.fromEnv(env)).hasMessageContaining("LOGINRELAY_K8S_WARM_POOL")
            .hasMessageContaining("LOGINRELAY_K8S_TEMPLATE").hasMessageContaining("neither is set");
        env.put("LOGINRELAY_K8S_TEMPLATE", "Bad_Name");
        assertThatThrownBy(() -> KubernetesPoolConfig.fromEnv(env)).hasMessageContaining(
            "LOGINRELAY_K8S_TEMPLATE must be a DNS label");
    }

    @Test
    void claimTokensDifferByClaimAndNeedALongKey() {
        ClaimTokens tokens = new ClaimTokens(Secret.of("k".repeat(32)));
        assertThat(tokens.of("loginrelay-a", "uid-1").reveal()).isEqualTo(tokens.of("loginrelay-a", "uid-1").reveal())
            .isNotEqualTo(tokens.of("loginrelay-a", "uid-2").reveal())
            .isNotEqualTo(tokens.of("loginrelay-b", "uid-1").reveal())
            .isNotEqualTo(new ClaimTokens(Secret.of("j".repeat(32))).of("loginrelay-a", "uid-1").reveal())
            .matches("[A-Za-z0-9_-]{43}");
        assertThatThrownBy(() -> new ClaimTokens(Secret.of("short"))).hasMessageContaining(
            "LOGINRELAY_K8S_TOKEN_KEY_FILE must hold at least 32");
    }

    @Test
    void readsTheSandboxObjectsAsAgentSandboxWritesThem() {
        io.fabric8.kubernetes.api.model.GenericKubernetesResource claim = SandboxApi.claim(
            java.util.UUID.fromString("00000000-0000-0000-0000-000000000001"), "controller-0", "pool",
            Duration.ofHours(1));
        assertThat(claim.getMetadata().getName()).isEqualTo("loginrelay-00000000-0000-0000-0000-000000000001");
        assertThat(SandboxApi.ready(claim)).isFalse();
        assertThat(SandboxApi.whyNotReady(claim)).isEqualTo("no Ready condition yet");
        claim.setAdditionalProperty("status", Map.of("conditions", java.util.List.of(Map.of("type", "Ready",
            "status", "True", "reason", "DependenciesReady")), "sandbox", Map.of("name", "pool-x1")));
        assertThat(SandboxApi.ready(claim)).isTrue();
        assertThat(SandboxApi.sandboxName(claim)).contains("pool-x1");

        io.fabric8.kubernetes.api.model.GenericKubernetesResource sandbox =
            new io.fabric8.kubernetes.api.model.GenericKubernetesResource();
        sandbox.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("pool-x1")
            .withNamespace("ns1").build());
        assertThat(SandboxApi.serviceHost(sandbox)).isEmpty();
        sandbox.setAdditionalProperty("status", Map.of("service", "pool-x1"));
        assertThat(SandboxApi.serviceHost(sandbox)).contains("pool-x1.ns1.svc");
        sandbox.setAdditionalProperty("status", Map.of("service", "pool-x1",
            "serviceFQDN", "pool-x1.ns1.svc.cluster.local"));
        assertThat(SandboxApi.serviceHost(sandbox)).contains("pool-x1.ns1.svc.cluster.local");
    }
}
