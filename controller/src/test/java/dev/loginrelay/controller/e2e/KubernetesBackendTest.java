package dev.loginrelay.controller.e2e;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.loginrelay.agent.testing.CapturedLogs;
import dev.loginrelay.agent.testing.Poll;
import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import dev.loginrelay.controller.testing.ControllerFixture;
import dev.loginrelay.controller.testing.FakeSandboxCluster;
import dev.loginrelay.controller.testing.SecretsForTests;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code kubernetes} pool by simulation (no API server can run here): a real controller on real PostgreSQL,
 * fabric8's mock API server in CRUD mode and {@link FakeSandboxCluster} standing in for agent-sandbox's controllers,
 * which turns each claim into a real agent running the fake CLIs. Driven through the public API.
 */
@Timeout(240)
class KubernetesBackendTest {
    @TempDir
    Path dir;
    private FakeSandboxCluster cluster;
    private final List<ControllerFixture> controllers = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (ControllerFixture c : controllers) {
            c.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private ControllerFixture controller(int warm, int capacity) throws Exception {
        return controller(warm, capacity, false);
    }

    /** {@code template}: sessions get a Sandbox from the template ({@code LOGINRELAY_K8S_TEMPLATE}), no warm pool. */
    private ControllerFixture controller(int warm, int capacity, boolean template) throws Exception {
        Path providers = Files.createDirectories(dir.resolve("providers"));
        Files.writeString(providers.resolve("fake-loopback.json"),
            FakeCliSpecs.loopback("fake-loopback", new JsonObject()).encodePrettily());
        if (cluster == null) {
            cluster = new FakeSandboxCluster(dir, providers, warm, capacity);
        }
        Path key = dir.resolve("token-key");
        Files.writeString(key, SecretsForTests.TOKEN_KEY + "\n");
        ControllerFixture c = new ControllerFixture(dir.resolve("controller-" + controllers.size()));
        c.env.put("LOGINRELAY_VM_PROVIDER", "kubernetes");
        c.env.put("LOGINRELAY_K8S_API_URL", cluster.apiUrl());
        c.env.put("LOGINRELAY_K8S_NAMESPACE", FakeSandboxCluster.NAMESPACE);
        c.env.put(template ? "LOGINRELAY_K8S_TEMPLATE" : "LOGINRELAY_K8S_WARM_POOL",
            template ? FakeSandboxCluster.TEMPLATE : FakeSandboxCluster.POOL);
        c.env.put("LOGINRELAY_K8S_AGENT_PORT", Integer.toString(cluster.agentPort));
        c.env.put("LOGINRELAY_K8S_BOOTSTRAP_TOKEN_FILE", cluster.bootstrapToken.toString());
        c.env.put("LOGINRELAY_K8S_TOKEN_KEY_FILE", key.toString());
        c.env.put("LOGINRELAY_K8S_REPLICA", "controller-0");
        c.env.put("LOGINRELAY_K8S_READY_SECONDS", "60");
        controllers.add(c);
        return c;
    }

    private static String claimOf(String sessionId) {
        return "loginrelay-" + sessionId;
    }

    /** Creates a session and returns {id, token}. */
    private static String[] create(ControllerFixture c, String user) throws Exception {
        JsonObject s = c.create("fake-loopback", user);
        return new String[] {s.getString("id"), s.getString("sessionToken")};
    }

    private static void login(ControllerFixture c, String[] s) throws Exception {
        String url = c.awaitStatus(s[0], s[1], "awaiting_user", 60).getString("authUrl");
        ControllerFixture.Response r = c.post(s[0], "callback",
            new JsonObject().put("url", FakeBrowser.callbackFor(url, "code=ok&state={state}")), s[1]);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        c.awaitStatus(s[0], s[1], "ready", 60);
    }

    private void awaitClaimGone(String sessionId) throws Exception {
        Poll.until(Duration.ofSeconds(30), "claim of " + sessionId + " deleted", () -> cluster.claims().stream()
            .noneMatch(c -> c.getMetadata().getName().equals(claimOf(sessionId))));
    }

    @Test
    void claimsAWarmSandboxRekeysItsAgentAndLogsInToReady() throws Exception {
        ListAppender<ILoggingEvent> logs = new CapturedLogs();
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
        ControllerFixture c = controller(1, 4).start();
        String[] s = create(c, "user-k8s");
        String url = c.awaitStatus(s[0], s[1], "awaiting_user", 60).getString("authUrl");

        GenericKubernetesResource claim = cluster.claims().stream()
            .filter(x -> x.getMetadata().getName().equals(claimOf(s[0]))).findFirst().orElseThrow();
        assertThat(claim.getMetadata().getLabels()).containsEntry("loginrelay.dev/session", s[0])
            .containsEntry("loginrelay.dev/replica", "controller-0")
            .containsEntry("app.kubernetes.io/managed-by", "loginrelay");
        assertThat(claim.getApiVersion()).isEqualTo("extensions.agents.x-k8s.io/v1beta1");
        assertThat(claim.getAdditionalProperties().get("spec").toString()).contains("warmPoolRef")
            .contains(FakeSandboxCluster.POOL).contains("shutdownTime");
        JsonObject op = c.get(s[0], ControllerFixture.OPERATOR);
        assertThat(op.getString("agentId")).isEqualTo(claimOf(s[0]));
        assertThat(op.getString("vmIp")).as("the sandbox's service address").startsWith("127.1.");
        // the claimed agent no longer takes the pool's shared token: it was re-keyed at hand-out
        String agentUrl = "http://" + op.getString("vmIp") + ":" + cluster.agentPort + "/api/v1/providers";
        assertThat(status(agentUrl, SecretsForTests.BOOTSTRAP)).isEqualTo(401);
        String own = ownToken(claim.getMetadata().getName(), claim.getMetadata().getUid());
        assertThat(status(agentUrl, own)).as("the token any replica derives for this claim").isEqualTo(200);

        assertThat(c.post(s[0], "callback", new JsonObject().put("url",
            FakeBrowser.callbackFor(url, "code=ok&state={state}")), s[1]).status()).isEqualTo(202);
        JsonObject ready = c.awaitStatus(s[0], s[1], "ready", 60);
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("fake.user@example.com");
        awaitClaimGone(s[0]);
        String all = String.join("\n", logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList())
            + c.timeline(s[0]).encode();
        assertThat(all).doesNotContain(SecretsForTests.BOOTSTRAP).doesNotContain(SecretsForTests.TOKEN_KEY)
            .doesNotContain(own);
    }

    /** The claim's own token as docs/scaling.md defines it: HMAC-SHA256 of its name and uid under the key. */
    private static String ownToken(String claim, String uid) throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(SecretsForTests.TOKEN_KEY.getBytes(
            java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(
            ("loginrelay claim token\n" + claim + "\n" + uid).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Test
    void withOnlyATemplateEachSessionGetsAColdSandboxOfItsOwnDeletedAtRelease() throws Exception {
        ControllerFixture c = controller(0, 4, true).start();
        assertThat(cluster.bound).as("the providers were read from a probe Sandbox of the template").hasSize(1);
        Poll.until(Duration.ofSeconds(10), "the probe deleted: no warm pool, nothing runs ahead",
            () -> cluster.sandboxObjects().isEmpty() && cluster.running() == 0);
        String[] s = create(c, "user-template");
        String url = c.awaitStatus(s[0], s[1], "awaiting_user", 60).getString("authUrl");

        assertThat(cluster.claims()).as("no SandboxClaim: a v1beta1 claim can only name a warm pool").isEmpty();
        GenericKubernetesResource sandbox = cluster.sandboxObjects().stream()
            .filter(x -> x.getMetadata().getName().equals(claimOf(s[0]))).findFirst().orElseThrow();
        assertThat(sandbox.getApiVersion()).isEqualTo("agents.x-k8s.io/v1beta1");
        assertThat(sandbox.getMetadata().getLabels()).containsEntry("loginrelay.dev/session", s[0])
            .containsEntry("loginrelay.dev/replica", "controller-0");
        assertThat(sandbox.getAdditionalProperties().get("spec").toString()).as("the template's pod template")
            .contains(FakeSandboxCluster.TEMPLATE_IMAGE).contains("shutdownTime").contains("shutdownPolicy=Delete");
        assertThat(cluster.bound).containsKey(claimOf(s[0])).hasSize(2);
        JsonObject op = c.get(s[0], ControllerFixture.OPERATOR);
        assertThat(op.getString("agentId")).isEqualTo(claimOf(s[0]));
        String agentUrl = "http://" + op.getString("vmIp") + ":" + cluster.agentPort + "/api/v1/providers";
        assertThat(status(agentUrl, SecretsForTests.BOOTSTRAP)).as("re-keyed at hand-out").isEqualTo(401);
        assertThat(status(agentUrl, ownToken(sandbox.getMetadata().getName(), sandbox.getMetadata().getUid())))
            .isEqualTo(200);

        assertThat(c.post(s[0], "callback", new JsonObject().put("url",
            FakeBrowser.callbackFor(url, "code=ok&state={state}")), s[1]).status()).isEqualTo(202);
        JsonObject ready = c.awaitStatus(s[0], s[1], "ready", 60);
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("fake.user@example.com");
        Poll.until(Duration.ofSeconds(30), "the session's Sandbox deleted and its agent stopped",
            () -> cluster.sandboxObjects().isEmpty() && cluster.running() == 0);
    }

    @Test
    void sessionsWaitInOrderWhileTheWarmPoolIsExhausted() throws Exception {
        ControllerFixture c = controller(1, 1).start();
        String[] first = create(c, "user-1");
        c.awaitStatus(first[0], first[1], "awaiting_user", 60);
        String[] second = create(c, "user-2");
        Thread.sleep(20);
        String[] third = create(c, "user-3");
        Poll.until(Duration.ofSeconds(20), "both claims made", () -> cluster.claims().size() == 3);
        Thread.sleep(500);
        assertThat(c.get(second[0], second[1]).getString("status")).isEqualTo("pending");
        assertThat(c.get(third[0], third[1]).getString("status")).isEqualTo("pending");

        login(c, first); // its claim is deleted: the cluster has room for the next one
        awaitClaimGone(first[0]);
        c.awaitStatus(second[0], second[1], "awaiting_user", 60);
        assertThat(c.get(third[0], third[1]).getString("status")).as("the later click still waits")
            .isEqualTo("pending");
        login(c, second);
        login(c, third);
        assertThat(cluster.bound.get(claimOf(second[0]))).isBefore(cluster.bound.get(claimOf(third[0])));
    }

    @Test
    void restartedControllerFindsItsClaimsByLabel() throws Exception {
        ControllerFixture a = controller(1, 4).start();
        String[] s = create(a, "user-restart");
        String url = a.awaitStatus(s[0], s[1], "awaiting_user", 60).getString("authUrl");
        a.stopKeepingAgents();

        ControllerFixture b = controller(1, 4);
        b.startOn(a.database());
        assertThat(b.post(s[0], "callback", new JsonObject().put("url",
            FakeBrowser.callbackFor(url, "code=ok&state={state}")), s[1]).status()).isEqualTo(202);
        b.awaitStatus(s[0], s[1], "ready", 60);
        awaitClaimGone(s[0]);
    }

    @Test
    void sandboxDeletedUnderALiveSessionFailsItAgentLost() throws Exception {
        ControllerFixture c = controller(1, 4).start();
        String[] lost = create(c, "user-node-lost");
        String[] evicted = create(c, "user-evicted");
        c.awaitStatus(lost[0], lost[1], "awaiting_user", 60);
        c.awaitStatus(evicted[0], evicted[1], "awaiting_user", 60);

        cluster.deleteSandboxOf(claimOf(lost[0]), true);
        cluster.deleteSandboxOf(claimOf(evicted[0]), false);
        for (String[] s : List.of(lost, evicted)) {
            JsonObject failed = c.awaitSession(s[0], s[1], v -> v.getBoolean("terminal"), 60);
            assertThat(failed.getString("status")).as("%s: %s", s[0], failed).isEqualTo("failed");
            assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("AGENT_LOST");
            awaitClaimGone(s[0]);
        }
    }

    private static int status(String url, String bearer) throws Exception {
        java.net.http.HttpRequest r = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
            .header("Authorization", "Bearer " + bearer).timeout(Duration.ofSeconds(10)).GET().build();
        return java.net.http.HttpClient.newHttpClient().send(r, java.net.http.HttpResponse.BodyHandlers.discarding())
            .statusCode();
    }
}
