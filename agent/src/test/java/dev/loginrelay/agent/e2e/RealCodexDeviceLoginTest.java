package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.Compat;
import dev.loginrelay.agent.testing.CompatibilityRecorder;
import dev.loginrelay.agent.testing.fakes.FakeCodexIssuer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real pinned codex, {@code codex login --device-auth}, driven through the agent's API under a real PTY, against
 * a local fake OAuth issuer ({@code --experimental_issuer}): device code shown, then ready with the identity read from
 * the credentials codex saved. Nothing leaves 127.0.0.1 (stray HTTPS would go to a closed loopback proxy port).
 */
@Timeout(120)
@ExtendWith(CompatibilityRecorder.class)
@Compat(provider = "codex", flow = "device")
class RealCodexDeviceLoginTest {
    @TempDir
    static Path dir;
    static FakeCodexIssuer issuer;
    static AgentFixture agent;

    @BeforeAll
    static void start() throws Exception {
        assertThat(AgentFixture.cliBin().resolve("codex")).as("run scripts/install-clis.sh").isExecutable();
        issuer = FakeCodexIssuer.start().approveAfterPolls(2).email("ada@example.com").plan("pro");
        agent = new AgentFixture(dir).spec(new JsonObject().put("name", "codex-device-local")
                .put("extends", "codex-device")
                .put("command", new JsonArray(List.of("codex", "login", "--device-auth", "--experimental_issuer",
                    issuer.baseUrl())))
                .put("env", RealCodex.offlineEnv()))
            .start();
    }

    @AfterAll
    static void stop() throws Exception {
        agent.close();
        issuer.close();
    }

    @Test
    void completesTheDeviceLoginAndReportsTheAccountFromTheSavedIdToken() throws Exception {
        agent.startRun("real-dev-1", "codex-device-local");
        JsonObject ready = agent.awaitRun("real-dev-1", v -> v.getBoolean("terminal"), 60);
        assertThat(ready.getString("state")).as(ready.encode()).isEqualTo("ready");
        assertThat(ready.getString("verificationUrl")).isEqualTo(issuer.baseUrl() + "/codex/device");
        assertThat(ready.getString("userCode")).isEqualTo(issuer.userCode());
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("ada@example.com");
        assertThat(ready.getJsonObject("account").getString("plan")).isEqualTo("pro");
        assertThat(agent.eventKinds("real-dev-1")).containsSubsequence("started", "cli_started",
            "device_code_ready", "cli_reported_success", "cli_exited", "verifying", "ready");

        Path auth = agent.home("real-dev-1").resolve(".codex/auth.json");
        assertThat(Files.readString(auth)).contains(issuer.refreshToken());
        String everything = agent.get("/api/v1/runs/real-dev-1/events?after=0").body() + ready.encode()
            + Files.readString(agent.config().logDir().resolve("real-dev-1.log"));
        for (String secret : List.of(issuer.accessToken(), issuer.refreshToken(), issuer.idToken(),
                issuer.codeVerifier(), issuer.authorizationCode())) {
            assertThat(everything).doesNotContain(secret);
        }
    }
}
