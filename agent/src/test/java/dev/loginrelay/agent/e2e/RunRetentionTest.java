package dev.loginrelay.agent.e2e;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * LOGINRELAY_AGENT_RETAIN_SECONDS: a finished run stays readable that long, then the registry drops it and its work
 * dir (the CLI's HOME with the credentials) is deleted; dirs an earlier agent left behind go once they are as old.
 */
@Timeout(60)
class RunRetentionTest {
    @TempDir
    static Path dir;
    static AgentFixture agent;
    static Path approve;
    static Path sessions;

    @BeforeAll
    static void startAgent() throws Exception {
        approve = dir.resolve("approve");
        sessions = Files.createDirectories(dir.resolve("work/sessions"));
        agent = new AgentFixture(dir)
            .spec(FakeSpecs.device("fake-device", new JsonObject().put("FAKECLI_APPROVE_FILE", approve.toString())))
            .start(Map.of("LOGINRELAY_AGENT_RETAIN_SECONDS", "2"));
    }

    @AfterAll
    static void stopAgent() throws Exception {
        agent.close();
    }

    @Test
    void removesAFinishedRunsDirAfterTheRetentionTimeAndKeepsALiveOnes() throws Exception {
        agent.startRun("kept-live", "fake-device");
        agent.startRun("done-1", "fake-device");
        agent.awaitState("done-1", "awaiting_user", 30);
        agent.awaitState("kept-live", "awaiting_user", 30);
        agent.post("/api/v1/runs/done-1/cancel", new JsonObject());
        agent.awaitState("done-1", "cancelled", 30);
        Path done = sessions.resolve("done-1");
        assertThat(done.resolve("home")).as("readable while retained").isDirectory();
        assertThat(agent.get("/api/v1/runs/done-1").status()).isEqualTo(200);

        AgentFixture.awaitTrue(() -> !Files.exists(done), 20, "done-1's dir to be removed");
        assertThat(agent.get("/api/v1/runs/done-1").status()).as("dropped from the registry").isEqualTo(404);
        assertThat(sessions.resolve("kept-live/home")).as("a live run keeps its HOME").isDirectory();
        assertThat(agent.run("kept-live").getString("state")).isEqualTo("awaiting_user");
    }

    @Test
    void removesDirsAnEarlierAgentLeftOnceTheyAreOlderThanTheRetention() throws Exception {
        Path old = Files.createDirectories(sessions.resolve("left-old/home/.codex"));
        Files.writeString(old.resolve("auth.json"), "{}");
        Files.setLastModifiedTime(sessions.resolve("left-old"), FileTime.from(Instant.now().minusSeconds(3600)));
        Path fresh = Files.createDirectories(sessions.resolve("left-fresh/home"));

        AgentFixture.awaitTrue(() -> !Files.exists(sessions.resolve("left-old")), 20, "left-old to be removed");
        assertThat(fresh).as("not yet older than the retention").isDirectory();
        AgentFixture.awaitTrue(() -> !Files.exists(sessions.resolve("left-fresh")), 20, "left-fresh to be removed");
    }
}
