package dev.loginrelay.agent.e2e;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The device-code flow: the agent shows the verification URL and code; the CLI finishes by itself. */
@Timeout(120)
class FakeDeviceLoginTest {
    @TempDir
    static Path dir;
    static AgentFixture agent;
    static Path approve;

    @BeforeAll
    static void startAgent() throws Exception {
        approve = dir.resolve("approve");
        agent = new AgentFixture(dir)
            .spec(FakeSpecs.device("fake-device", new JsonObject().put("FAKECLI_APPROVE_FILE", approve.toString())))
            .start();
    }

    @AfterAll
    static void stopAgent() throws Exception {
        agent.close();
    }

    @Test
    void showsTheCodeAndReachesReadyWhenTheUserApproves() throws Exception {
        agent.startRun("dev-1", "fake-device");
        JsonObject waiting = agent.awaitState("dev-1", "awaiting_user", 30);
        assertThat(waiting.getString("verificationUrl")).isEqualTo("https://auth.example.test/codex/device");
        assertThat(waiting.getString("userCode")).isEqualTo("ABCD-12345");
        assertThat(waiting.getString("expects")).isEqualTo("none");
        Files.writeString(approve, "approve");
        JsonObject ready = agent.awaitState("dev-1", "ready", 30);
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("fake.user@example.com");
        assertThat(agent.eventKinds("dev-1")).containsSubsequence("device_code_ready", "cli_exited", "ready");
    }
}
