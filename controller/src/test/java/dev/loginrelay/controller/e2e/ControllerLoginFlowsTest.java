package dev.loginrelay.controller.e2e;

import java.time.Duration;
import dev.loginrelay.agent.testing.Poll;
import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every flow end to end through the public API: controller → real agent process → fake CLI under a real PTY, with the
 * session row and its timeline in real PostgreSQL.
 */
@Timeout(180)
class ControllerLoginFlowsTest {
    @TempDir
    static Path dir;
    static ControllerFixture c;
    static Path approve;

    @BeforeAll
    static void start() throws Exception {
        approve = dir.resolve("approve");
        c = new ControllerFixture(dir)
            .spec(FakeCliSpecs.loopback("fake-loopback", new JsonObject()))
            .spec(FakeCliSpecs.paste("fake-claude", new JsonObject()))
            .spec(FakeCliSpecs.device("fake-device", new JsonObject().put("FAKECLI_APPROVE_FILE", approve.toString())))
            .spec(FakeCliSpecs.loopback("fake-slow", new JsonObject()));
        // Long enough for an agent JVM to start on a busy machine, so the run is there to be cancelled.
        c.env.put("LOGINRELAY_PROVIDER_TTLS", "fake-slow=12");
        c.start();
    }

    @AfterAll
    static void stop() throws Exception {
        c.close();
    }

    private static List<String> kinds(String id) throws Exception {
        List<String> out = new ArrayList<>();
        for (Object o : c.timeline(id).getJsonArray("events")) {
            out.add(((JsonObject) o).getString("kind"));
        }
        return out;
    }

    @Test
    void loopbackFlowReachesReadyThroughThePublicApi() throws Exception {
        JsonObject created = c.create("fake-loopback", "user-loop");
        String id = created.getString("id");
        String token = created.getString("sessionToken");
        assertThat(created.getString("status")).isIn("pending", "starting");
        JsonObject waiting = c.awaitStatus(id, token, "awaiting_user", 60);
        assertThat(waiting.getString("expects")).isEqualTo("callback_url");
        String url = waiting.getString("authUrl");
        assertThat(url).startsWith("https://auth.example.test/oauth/authorize?");

        ControllerFixture.Response wrong = c.post(id, "callback",
            new JsonObject().put("url", FakeBrowser.callbackFor(url, "code=x&state=WRONG")), token);
        assertThat(wrong.status()).as(wrong.body()).isEqualTo(400);
        assertThat(wrong.json().getJsonObject("error").getString("message")).containsIgnoringCase("state");
        assertThat(c.post(id, "callback", new JsonObject().put("url", FakeBrowser.callbackFor(url, "code=ok&state={state}")),
            token).status()).as("answered once the agent took it").isEqualTo(202);
        JsonObject ready = c.awaitStatus(id, token, "ready", 60);
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("fake.user@example.com");
        assertThat(ready.containsKey("authUrl")).isFalse();

        JsonObject op = c.get(id, ControllerFixture.OPERATOR);
        assertThat(op.getString("agentId")).startsWith("local-");
        assertThat(op.getString("vmIp")).isEqualTo("127.0.0.1");
        List<String> kinds = kinds(id);
        assertThat(kinds).containsSubsequence("created", "status", "agent.started", "agent.auth_url_ready",
            "status", "agent.callback_received", "agent.ready", "status");
        assertThat(kinds).contains("agent.callback_relayed");
        JsonArray events = c.timeline(id).getJsonArray("events");
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.getJsonObject(i).getLong("seq")).as("timeline has no gaps").isEqualTo(i + 1L);
        }
        assertThat(events.encode()).doesNotContain(FakeBrowser.stateOf(url));
    }

    @Test
    void pasteCodeFlowReachesReady() throws Exception {
        JsonObject created = c.create("fake-claude", "user-paste");
        String id = created.getString("id");
        String token = created.getString("sessionToken");
        String url = c.awaitSession(id, token, v -> "code".equals(v.getString("expects")), 60).getString("authUrl");
        ControllerFixture.Response r = c.post(id, "code", new JsonObject().put("code", "good-code#" + FakeBrowser.stateOf(url)),
            token);
        assertThat(r.status()).as(r.body()).isIn(200, 409);
        c.awaitStatus(id, token, "ready", 60);
    }

    @Test
    void deviceFlowShowsTheCodeAndReachesReady() throws Exception {
        JsonObject created = c.create("fake-device", "user-device");
        String id = created.getString("id");
        String token = created.getString("sessionToken");
        JsonObject waiting = c.awaitStatus(id, token, "awaiting_user", 60);
        assertThat(waiting.getString("verificationUrl")).isEqualTo("https://auth.example.test/codex/device");
        assertThat(waiting.getString("userCode")).isEqualTo("ABCD-12345");
        assertThat(waiting.getString("expects")).isEqualTo("none");
        Files.writeString(approve, "approve");
        c.awaitStatus(id, token, "ready", 60);
    }

    @Test
    void cancelEndsTheSessionAndItsRun() throws Exception {
        JsonObject created = c.create("fake-loopback", "user-cancel");
        String id = created.getString("id");
        String token = created.getString("sessionToken");
        c.awaitStatus(id, token, "awaiting_user", 60);
        ControllerFixture.Response r = c.post(id, "cancel", null, token);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().getString("status")).isEqualTo("cancelled");
        assertThat(c.post(id, "cancel", null, token).status()).isEqualTo(409);
        assertThat(c.post(id, "callback", new JsonObject().put("url", "http://localhost:1/x?code=a&state=b"), token)
            .status()).isEqualTo(409);
        c.awaitSession(id, ControllerFixture.OPERATOR, v -> true, 5);
        awaitKind(id, "agent.cancelled");
    }

    @Test
    void timesOutAtTheDeadlineAndStopsTheRun() throws Exception {
        JsonObject created = c.create("fake-slow", "user-slow");
        String id = created.getString("id");
        String token = created.getString("sessionToken");
        JsonObject timedOut = c.awaitStatus(id, token, "timeout", 30);
        assertThat(timedOut.getBoolean("terminal")).isTrue();
        awaitKind(id, "agent.cancelled");
    }

    private static void awaitKind(String id, String kind) throws Exception {
        Poll.until(Duration.ofSeconds(20), kind + " in the timeline of " + id, () -> kinds(id),
            k -> k.contains(kind));
    }
}
