package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The loopback-callback flow end to end: real agent, real PTY, a fake codex-like CLI listening on loopback. */
@Timeout(120)
class FakeLoopbackLoginTest {
    private static final AtomicInteger SEQ = new AtomicInteger();
    @TempDir
    static Path dir;
    static AgentFixture agent;

    @BeforeAll
    static void startAgent() throws Exception {
        agent = new AgentFixture(dir)
            .spec(FakeSpecs.loopback("fake-loopback", new JsonObject()))
            .spec(FakeSpecs.loopback("fake-loopback-fixed", new JsonObject().put("FAKECLI_PORT", "18455")))
            .spec(FakeSpecs.loopback("fake-loopback-quick", new JsonObject())
                .put("timeouts", new JsonObject().put("userSeconds", 2)))
            .start();
    }

    @AfterAll
    static void stopAgent() throws Exception {
        agent.close();
    }

    private static String newId() {
        return "loop-" + SEQ.incrementAndGet();
    }

    @Test
    void reachesReadyWithIdentityAfterTheCallbackIsRelayed() throws Exception {
        String id = newId();
        agent.startRun(id, "fake-loopback");
        JsonObject waiting = agent.awaitState(id, "awaiting_user", 30);
        assertThat(waiting.getString("authUrl")).startsWith("https://auth.example.test/oauth/authorize?");
        assertThat(waiting.getString("expects")).isEqualTo("callback_url");

        AgentFixture.Response relayed = agent.post("/api/v1/runs/" + id + "/callback", new JsonObject()
            .put("url", FakeBrowser.callbackFor(waiting.getString("authUrl"), "code=good-code&state={state}")));
        assertThat(relayed.status()).as(relayed.body()).isEqualTo(202);
        assertThat(agent.awaitEvent(id, "callback_relayed", 30).getInteger("cliStatus")).isEqualTo(302);
        assertThat(agent.awaitEvent(id, "callback_relayed", 30).getString("followed")).isEqualTo("/success");
        assertThat(relayed.body()).doesNotContain("id_token").doesNotContain("eyJ");

        JsonObject ready = agent.awaitState(id, "ready", 30);
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("fake.user@example.com");
        assertThat(ready.getInteger("exitCode")).isZero();
        // The CLI exits on the followed /success, possibly before the relay's answer is recorded: not ordered.
        assertThat(agent.eventKinds(id)).containsSubsequence("started", "cli_started", "auth_url_ready",
            "awaiting_input", "callback_received", "cli_exited", "verifying", "ready");
        assertThat(agent.eventKinds(id)).containsSubsequence("callback_received", "callback_relayed");
        JsonObject relayEvent = agent.events(id).stream().filter(e -> e.getString("kind").equals("callback_relayed"))
            .findFirst().orElseThrow();
        assertThat(relayEvent.getJsonObject("detail").getInteger("cliStatus")).isEqualTo(302);
    }

    @Test
    void aCallbackTheCliRefusesPutsTheRunBackToAwaitingUserWithTheClisWords() throws Exception {
        String id = newId();
        agent.startRun(id, "fake-loopback");
        String authUrl = agent.awaitState(id, "awaiting_user", 30).getString("authUrl");

        // The agent's checks pass (right state, a code parameter), but the CLI's listener answers 400.
        AgentFixture.Response empty = agent.post("/api/v1/runs/" + id + "/callback",
            new JsonObject().put("url", FakeBrowser.callbackFor(authUrl, "code=&state={state}")));
        assertThat(empty.status()).as(empty.body()).isEqualTo(202);
        JsonObject rejected = agent.awaitEvent(id, "callback_rejected", 30);
        assertThat(rejected.getString("reason")).isEqualTo("CLI_REJECTED");
        assertThat(rejected.getInteger("cliStatus")).isEqualTo(400);
        assertThat(rejected.getString("message")).contains("Missing authorization code");
        assertThat(agent.awaitState(id, "awaiting_user", 10).getBoolean("awaitingInput")).isTrue();

        assertThat(agent.post("/api/v1/runs/" + id + "/callback", new JsonObject()
            .put("url", FakeBrowser.callbackFor(authUrl, "code=c1&state={state}"))).status()).isEqualTo(202);
        agent.awaitState(id, "ready", 30);
    }

    @Test
    void refusesCallbackWithWrongStateAndTheLoginStillCompletes() throws Exception {
        String id = newId();
        agent.startRun(id, "fake-loopback");
        String authUrl = agent.awaitState(id, "awaiting_user", 30).getString("authUrl");

        AgentFixture.Response wrong = agent.post("/api/v1/runs/" + id + "/callback",
            new JsonObject().put("url", FakeBrowser.callbackFor(authUrl, "code=abc&state=WRONG")));
        assertThat(wrong.status()).isEqualTo(400);
        assertThat(wrong.errorCode()).isEqualTo("STATE_MISMATCH");
        AgentFixture.Response otherPath = agent.post("/api/v1/runs/" + id + "/callback",
            new JsonObject().put("url", FakeBrowser.callbackFor(authUrl, "code=abc&state={state}").replace("/auth/callback",
                "/success")));
        assertThat(otherPath.status()).isEqualTo(400);
        assertThat(otherPath.errorCode()).isEqualTo("INVALID_CALLBACK");
        assertThat(agent.run(id).getString("state")).as("nothing reached the CLI").isEqualTo("awaiting_user");
        assertThat(agent.events(id).stream().filter(e -> e.getString("kind").equals("callback_refused"))
            .map(e -> e.getJsonObject("detail").getString("reason")).toList()).as("each refusal is an event")
            .containsExactly("STATE_MISMATCH", "INVALID_CALLBACK");

        assertThat(agent.post("/api/v1/runs/" + id + "/callback", new JsonObject()
            .put("url", FakeBrowser.callbackFor(authUrl, "code=c1&state={state}"))).status()).isEqualTo(202);
        AgentFixture.Response again = agent.post("/api/v1/runs/" + id + "/callback", new JsonObject()
            .put("url", FakeBrowser.callbackFor(authUrl, "code=c2&state={state}")));
        assertThat(again.status()).as("a relay is single-use").isIn(409);
        agent.awaitState(id, "ready", 30);
    }

    @Test
    void failsWithTheClisOwnTextWhenTheUserDenies() throws Exception {
        String id = newId();
        agent.startRun(id, "fake-loopback");
        String authUrl = agent.awaitState(id, "awaiting_user", 30).getString("authUrl");
        agent.post("/api/v1/runs/" + id + "/callback", new JsonObject().put("url",
            FakeBrowser.callbackFor(authUrl, "error=access_denied&error_description=User+denied&state={state}")));
        JsonObject failed = agent.awaitState(id, "failed", 30);
        assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("ACCESS_DENIED");
        assertThat(failed.getJsonObject("error").getString("message")).isEqualTo("Sign-in failed: User denied");
        assertThat(failed.getInteger("exitCode")).isEqualTo(1);
    }

    @Test
    void doesNotTrustSuccessWithoutCredentials() throws Exception {
        String id = newId();
        agent.startRun(id, "fake-loopback");
        String authUrl = agent.awaitState(id, "awaiting_user", 30).getString("authUrl");
        // Another local process hits /success directly: the CLI prints "Successfully logged in" and exits 0.
        URI success = URI.create(FakeBrowser.callbackFor(authUrl, "x=1").replace("localhost", "127.0.0.1")
            .replace("/auth/callback", "/success"));
        HttpClient.newHttpClient().send(HttpRequest.newBuilder(success).build(), HttpResponse.BodyHandlers.ofString());
        JsonObject failed = agent.awaitState(id, "failed", 30);
        assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("CREDENTIALS_MISSING");
        assertThat(agent.eventKinds(id)).contains("cli_reported_success");
    }

    @Test
    void cancelKillsTheCliAndIsFinal() throws Exception {
        String id = newId();
        agent.startRun(id, "fake-loopback");
        String authUrl = agent.awaitState(id, "awaiting_user", 30).getString("authUrl");
        AgentFixture.Response cancelled = agent.post("/api/v1/runs/" + id + "/cancel", null);
        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.json().getString("state")).isEqualTo("cancelled");
        URI callback = URI.create(FakeBrowser.callbackFor(authUrl, "code=x&state={state}").replace("localhost", "127.0.0.1"));
        AgentFixture.awaitTrue(() -> !listening(callback), 10, "the CLI's listener to close");
        assertThat(agent.post("/api/v1/runs/" + id + "/cancel", null).status()).isEqualTo(409);
        assertThat(agent.post("/api/v1/runs/" + id + "/callback", new JsonObject().put("url",
            FakeBrowser.callbackFor(authUrl, "code=x&state={state}"))).status()).isEqualTo(409);
    }

    @Test
    void timesOutWhenTheUserNeverComesBack() throws Exception {
        String id = newId();
        agent.startRun(id, "fake-loopback-quick");
        JsonObject timedOut = agent.awaitState(id, "timeout", 30);
        assertThat(timedOut.getJsonObject("error").getString("code")).isEqualTo("TIMEOUT");
        JsonObject last = agent.events(id).get(agent.events(id).size() - 1);
        assertThat(last.getString("kind")).isEqualTo("timeout");
        assertThat(last.getJsonObject("detail").getString("phase")).isEqualTo("user");
    }

    @Test
    void queuesASecondLoginOnTheSameFixedPortUntilTheFirstEnds() throws Exception {
        String first = newId();
        String second = newId();
        agent.startRun(first, "fake-loopback-fixed");
        String authUrl = agent.awaitState(first, "awaiting_user", 30).getString("authUrl");
        agent.startRun(second, "fake-loopback-fixed");
        agent.awaitState(second, "queued", 10);
        Thread.sleep(500);
        assertThat(agent.run(first).getString("state")).as("the first login was not disturbed")
            .isEqualTo("awaiting_user");
        agent.post("/api/v1/runs/" + first + "/callback", new JsonObject().put("url",
            FakeBrowser.callbackFor(authUrl, "code=ok&state={state}")));
        agent.awaitState(first, "ready", 30);
        String secondUrl = agent.awaitState(second, "awaiting_user", 30).getString("authUrl");
        assertThat(secondUrl).isNotEqualTo(authUrl);
        agent.post("/api/v1/runs/" + second + "/callback", new JsonObject().put("url",
            FakeBrowser.callbackFor(secondUrl, "code=ok&state={state}")));
        agent.awaitState(second, "ready", 30);
        assertThat(agent.eventKinds(second)).containsSubsequence("started", "queued", "dequeued", "auth_url_ready");
    }

    private static boolean listening(URI uri) {
        try (java.net.Socket s = new java.net.Socket(uri.getHost(), uri.getPort())) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void keepsEachLoginsCredentialsInItsOwnHome() throws Exception {
        String id = newId();
        agent.startRun(id, "fake-loopback");
        String authUrl = agent.awaitState(id, "awaiting_user", 30).getString("authUrl");
        agent.post("/api/v1/runs/" + id + "/callback", new JsonObject().put("url",
            FakeBrowser.callbackFor(authUrl, "code=ok&state={state}")));
        agent.awaitState(id, "ready", 30);
        Path home = agent.home(id);
        assertThat(home.resolve(".fakecli/auth.json")).exists();
        assertThat(Files.getPosixFilePermissions(home)).containsExactlyInAnyOrder(
            java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE,
            java.nio.file.attribute.PosixFilePermission.OWNER_EXECUTE);
    }
}
