package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Paste-code flows end to end under a real PTY: claude-like (CODE#STATE) and gemini-like (retry, stays alive). */
@Timeout(120)
class FakePasteLoginTest {
    private static final AtomicInteger SEQ = new AtomicInteger();
    @TempDir
    static Path dir;
    static AgentFixture agent;

    @BeforeAll
    static void startAgent() throws Exception {
        agent = new AgentFixture(dir)
            .spec(FakeSpecs.paste("fake-claude", new JsonObject()))
            .spec(FakeSpecs.gemini("fake-gemini", new JsonObject()))
            .start();
    }

    @AfterAll
    static void stopAgent() throws Exception {
        agent.close();
    }

    private static String newId() {
        return "paste-" + SEQ.incrementAndGet();
    }

    private AgentFixture.Response code(String id, String code) throws Exception {
        return agent.post("/api/v1/runs/" + id + "/code", new JsonObject().put("code", code));
    }

    @Test
    void typesThePastedCodeAndReachesReadyVerifiedByTheStatusCommand() throws Exception {
        String id = newId();
        agent.startRun(id, "fake-claude");
        JsonObject waiting = agent.awaitInput(id, 30);
        assertThat(waiting.getString("authUrl")).startsWith("https://claude.example.test/oauth/authorize?");
        assertThat(waiting.getString("expects")).isEqualTo("code");
        AgentFixture.Response r = code(id, "good-code#" + FakeBrowser.stateOf(waiting.getString("authUrl")));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonObject ready = agent.awaitState(id, "ready", 30);
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("fake.user@example.com");
        assertThat(agent.eventKinds(id)).containsSubsequence("auth_url_ready", "awaiting_input", "code_submitted",
            "cli_reported_success", "cli_exited", "verifying", "ready");
    }

    @Test
    void reportsTheClisOwnWordsWhenItRejectsTheCode() throws Exception {
        String id = newId();
        agent.startRun(id, "fake-claude");
        String url = agent.awaitInput(id, 30).getString("authUrl");
        assertThat(code(id, "bad-code#" + FakeBrowser.stateOf(url)).status()).isEqualTo(200);
        JsonObject failed = agent.awaitState(id, "failed", 30);
        assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("CODE_REJECTED");
        assertThat(failed.getJsonObject("error").getString("message")).startsWith("That code wasn't accepted.");
    }

    @Test
    void refusesMalformedCodesWithoutTypingAnything() throws Exception {
        String id = newId();
        agent.startRun(id, "fake-claude");
        String url = agent.awaitInput(id, 30).getString("authUrl");
        assertThat(code(id, "no-hash-here").errorCode()).isEqualTo("INVALID_CODE");
        assertThat(code(id, "good-code#" + FakeBrowser.stateOf(url) + "\u001b[2J").errorCode()).isEqualTo("INVALID_CODE");
        assertThat(code(id, "x".repeat(2000) + "#" + FakeBrowser.stateOf(url)).errorCode()).isEqualTo("INVALID_CODE");
        assertThat(code(id, "good-code#someOtherState").errorCode()).isEqualTo("STATE_MISMATCH");
        assertThat(agent.post("/api/v1/runs/" + id + "/callback", new JsonObject().put("url",
            "http://localhost:1/cb?code=x&state=y")).status()).isEqualTo(409);
        assertThat(agent.run(id).getString("state")).isEqualTo("awaiting_user");
        assertThat(code(id, "good-code#" + FakeBrowser.stateOf(url)).status()).isEqualTo(200);
        agent.awaitState(id, "ready", 30);
    }

    @Test
    void refusesACodeWhileTheCliIsNotWaitingForOne() throws Exception {
        String id = newId();
        agent.startRun(id, "fake-claude");
        String url = agent.awaitInput(id, 30).getString("authUrl");
        assertThat(code(id, "good-code#" + FakeBrowser.stateOf(url)).status()).isEqualTo(200);
        AgentFixture.Response second = code(id, "good-code#" + FakeBrowser.stateOf(url));
        assertThat(second.status()).isEqualTo(409);
        assertThat(second.errorCode()).isEqualTo("NOT_AWAITING_CODE");
        agent.awaitState(id, "ready", 30);
    }

    @Test
    void showsTheNewUrlAfterARejectedCodeThenEndsTheLiveCliOnSuccess() throws Exception {
        String id = newId();
        agent.startRun(id, "fake-gemini");
        String firstUrl = agent.awaitInput(id, 30).getString("authUrl");
        assertThat(code(id, "wrong-code").status()).isEqualTo(200);
        JsonObject again = agent.awaitRun(id, v -> v.getBoolean("awaitingInput")
            && !firstUrl.equals(v.getString("authUrl")), 30);
        assertThat(again.getString("authUrl")).startsWith("https://accounts.example.test/");
        assertThat(agent.eventKinds(id)).contains("attempt_failed");
        assertThat(code(id, "good-code").status()).isEqualTo(200);
        JsonObject ready = agent.awaitState(id, "ready", 30);
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("fake.user@example.com");
        AgentFixture.awaitTrue(() -> {
            try {
                return agent.eventKinds(id).contains("ready");
            } catch (Exception e) {
                return false;
            }
        }, 10, "ready event");
    }

    @Test
    void failsAfterTwoRejectedCodesWithTheClisMessage() throws Exception {
        String id = newId();
        agent.startRun(id, "fake-gemini");
        String firstUrl = agent.awaitInput(id, 30).getString("authUrl");
        code(id, "wrong-1");
        agent.awaitRun(id, v -> v.getBoolean("awaitingInput") && !firstUrl.equals(v.getString("authUrl")), 30);
        code(id, "wrong-2");
        JsonObject failed = agent.awaitState(id, "failed", 30);
        assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("AUTH_FAILED");
        assertThat(failed.getJsonObject("error").getString("message"))
            .contains("Failed to authenticate with user code");
    }

    @Test
    void runsSeveralLoginsAtOnceWithoutMixingThemUp() throws Exception {
        java.util.List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String id = newId();
            ids.add(id);
            agent.startRun(id, "fake-claude");
        }
        java.util.Map<String, String> urls = new java.util.HashMap<>();
        for (String id : ids) {
            urls.put(id, agent.awaitInput(id, 60).getString("authUrl"));
        }
        assertThat(new java.util.HashSet<>(urls.values())).as("each login has its own URL and state").hasSize(6);
        // A code carrying another run's state is refused before it reaches the CLI.
        assertThat(code(ids.get(0), "good-code#" + FakeBrowser.stateOf(urls.get(ids.get(1)))).errorCode())
            .isEqualTo("STATE_MISMATCH");
        for (String id : ids) {
            assertThat(code(id, "good-code#" + FakeBrowser.stateOf(urls.get(id))).status()).isEqualTo(200);
        }
        for (String id : ids) {
            agent.awaitState(id, "ready", 60);
            assertThat(agent.home(id).resolve(".fakecli/credentials.json")).exists();
        }
        assertThat(ids.stream().map(agent::home).distinct()).hasSize(6);
    }
}
