package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code --prestart}: the agent starts a login before any session asks, so a session's start answers with the link
 * already out; each is taken by one session only, with fresh state, and one nobody takes is replaced.
 */
@Timeout(120)
class StartedAheadLoginTest {
    @TempDir
    Path dir;

    private AgentFixture agent(String seconds) throws Exception {
        return new AgentFixture(dir).spec(FakeSpecs.paste("fake-claude", new JsonObject()))
            .start(Map.of("LOGINRELAY_AGENT_PRESTART", "fake-claude", "LOGINRELAY_AGENT_PRESTART_SECONDS", seconds));
    }

    private static String aheadState(AgentFixture a, String provider) throws Exception {
        JsonObject ahead = a.get("/health").json().getJsonObject("startedAhead");
        return ahead == null ? null : ahead.getString(provider);
    }

    private static void awaitLinkAhead(AgentFixture a) throws Exception {
        awaitLinkAhead(a, "fake-claude");
    }

    private static void awaitLinkAhead(AgentFixture a, String provider) throws Exception {
        AgentFixture.awaitTrue(() -> {
            try {
                return "awaiting_user".equals(aheadState(a, provider));
            } catch (Exception e) {
                return false;
            }
        }, 30, "a " + provider + " login started ahead with its link out");
    }

    @Test
    void aSessionTakesTheLoginStartedAheadWithItsLinkAlreadyOutAndCompletesIt() throws Exception {
        AgentFixture a = agent("600");
        try {
            awaitLinkAhead(a);
            JsonObject started = a.startRun("s-1", "fake-claude");
            // The link is in the start's own answer: nothing to wait for after the click.
            assertThat(started.getString("id")).isEqualTo("s-1");
            assertThat(started.getString("state")).isEqualTo("awaiting_user");
            assertThat(started.getBoolean("awaitingInput")).isTrue();
            String url = started.getString("authUrl");
            assertThat(url).startsWith("https://claude.example.test/oauth/authorize?");
            assertThat(a.eventKinds("s-1")).containsSubsequence("started", "cli_started", "auth_url_ready",
                "awaiting_input", "adopted");
            JsonObject adopted = a.awaitEvent("s-1", "adopted", 5);
            assertThat(adopted.getString("sessionId")).isEqualTo("s-1");
            assertThat(adopted.getLong("startedAheadMs")).isNotNegative();

            // Another is started ahead at once, with its own state: no link is handed out twice.
            awaitLinkAhead(a);
            JsonObject second = a.startRun("s-2", "fake-claude");
            assertThat(second.getString("authUrl")).isNotNull();
            assertThat(FakeBrowser.stateOf(second.getString("authUrl"))).isNotEqualTo(FakeBrowser.stateOf(url));

            // The taken login is the session's: the user's code completes it, and its HOME is found by session id.
            assertThat(a.post("/api/v1/runs/s-1/code", new JsonObject().put("code",
                "good-code#" + FakeBrowser.stateOf(url))).status()).isEqualTo(200);
            JsonObject ready = a.awaitState("s-1", "ready", 30);
            assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("fake.user@example.com");
            assertThat(a.home("s-1").resolve(".fakecli/credentials.json")).exists();
            assertThat(Files.readString(a.config().logDir().resolve("s-1.log"))).contains("kind=adopted");
            // The run list shows sessions only, never a login waiting ahead.
            assertThat(a.get("/api/v1/runs").json().getJsonArray("runs").stream()
                .map(o -> ((JsonObject) o).getString("id")).toList()).containsExactlyInAnyOrder("s-1", "s-2");
            assertThat(a.post("/api/v1/runs/s-2/cancel", null).status()).isEqualTo(200);
            AgentFixture.Response reserved = a.post("/api/v1/runs", new JsonObject().put("sessionId", "ahead-x")
                .put("provider", "fake-claude"));
            assertThat(reserved.status()).isEqualTo(400);
            assertThat(reserved.body()).contains("must not start with 'ahead-'");
        } finally {
            a.close();
        }
    }

    @Test
    void aLoginNobodyTakesWithinItsLifetimeIsDiscardedAndReplaced() throws Exception {
        AgentFixture a = agent("2");
        try {
            awaitLinkAhead(a);
            Path logs = a.config().logDir();
            AgentFixture.awaitTrue(() -> aheadLogs(logs).size() >= 2, 20, "a second login started ahead");
            Path first = aheadLogs(logs).stream().filter(p -> {
                try {
                    return Files.readString(p).contains("kind=cancelled");
                } catch (java.io.IOException e) {
                    return false;
                }
            }).findFirst().orElseThrow(() -> new AssertionError("no discarded login among " + aheadLogs(logs)));
            awaitLinkAhead(a);
            a.startRun("s-late", "fake-claude");
            // what a session takes was started within the lifetime, never an older one
            assertThat(a.awaitEvent("s-late", "adopted", 5).getLong("startedAheadMs")).isLessThan(2_000 + 1_000);
        } finally {
            a.close();
        }
    }

    /**
     * A codex-like login (fixed port, host lock) started ahead is taken at once by a session of its agent; and it
     * gives the lock up as soon as a session's login in another agent on the host waits for it.
     */
    @Test
    void aLoginStartedAheadThatHoldsTheHostLockGivesItToASessionOfAnotherAgent() throws Exception {
        Path locks = dir.resolve("locks");
        JsonObject spec = FakeSpecs.loopback("fake-codex", new JsonObject());
        AgentFixture a = new AgentFixture(dir.resolve("a")).spec(spec).start(Map.of("LOGINRELAY_AGENT_PRESTART",
            "fake-codex", "LOGINRELAY_AGENT_LOCK_DIR", locks.toString()));
        AgentFixture b = new AgentFixture(dir.resolve("b")).spec(spec).start(Map.of("LOGINRELAY_AGENT_LOCK_DIR",
            locks.toString()));
        try {
            awaitLinkAhead(a, "fake-codex");
            JsonObject mine = a.startRun("s-a", "fake-codex");
            assertThat(mine.getString("authUrl")).as("taken with its link").isNotNull();
            assertThat(a.post("/api/v1/runs/s-a/cancel", null).status()).isEqualTo(200);
            // its successor takes the lock once s-a's CLI is gone, and waits with its link out
            awaitLinkAhead(a, "fake-codex");

            b.startRun("s-b", "fake-codex");
            JsonObject other = b.awaitInput("s-b", 20);
            assertThat(other.getString("state")).as(other.encode()).isEqualTo("awaiting_user");
            assertThat(b.eventKinds("s-b")).contains("queued", "dequeued");
            // a's successor queues behind s-b, and never takes the lock while s-b holds it
            AgentFixture.awaitTrue(() -> {
                try {
                    return "queued".equals(aheadState(a, "fake-codex"));
                } catch (Exception e) {
                    return false;
                }
            }, 10, "a's next login started ahead waiting for the lock");
            assertThat(b.post("/api/v1/runs/s-b/cancel", null).status()).isEqualTo(200);
            awaitLinkAhead(a, "fake-codex");
        } finally {
            b.close();
            a.close();
        }
    }

    @Test
    void refusesToStartAheadWhatCannotBeSafely() throws Exception {
        AgentFixture unknown = new AgentFixture(dir.resolve("u"));
        assertThatThrownBy(() -> unknown.start(Map.of("LOGINRELAY_AGENT_PRESTART", "nosuch")))
            .hasMessageContaining("--prestart names unknown provider 'nosuch'");
        unknown.close();
        AgentFixture device = new AgentFixture(dir.resolve("d"));
        assertThatThrownBy(() -> device.start(Map.of("LOGINRELAY_AGENT_PRESTART", "copilot")))
            .hasMessageContaining("--prestart cannot start copilot ahead: it shows a device code");
        device.close();
    }

    private static List<Path> aheadLogs(Path logs) {
        try (Stream<Path> s = Files.list(logs)) {
            return s.filter(p -> p.getFileName().toString().startsWith("ahead-")).toList();
        } catch (java.io.IOException e) {
            return List.of();
        }
    }
}
