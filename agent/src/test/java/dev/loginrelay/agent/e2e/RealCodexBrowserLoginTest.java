package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.Compat;
import dev.loginrelay.agent.testing.CompatibilityRecorder;
import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real pinned codex browser flow ({@code codex login}) through the agent: the auth URL is read off the PTY, a
 * wrong-state callback is refused by the agent and never reaches codex, the right one is relayed to codex's listener
 * on 127.0.0.1:1455, and codex's offline token-exchange failure comes back as {@code failed} in codex's own words.
 * Its HTTPS goes to a closed loopback proxy port, so the exchange fails at once and nothing leaves the machine.
 */
@Timeout(120)
@ExtendWith(CompatibilityRecorder.class)
@Compat(provider = "codex", flow = "browser")
class RealCodexBrowserLoginTest {
    @TempDir
    static Path dir;
    static AgentFixture agent;

    @BeforeAll
    static void start() throws Exception {
        assertThat(AgentFixture.cliBin().resolve("codex")).as("run scripts/install-clis.sh").isExecutable();
        agent = new AgentFixture(dir).spec(new JsonObject().put("name", "codex-local").put("extends", "codex")
            .put("env", RealCodex.offlineEnv())).start();
    }

    @AfterAll
    static void stop() throws Exception {
        agent.close();
    }

    @Test
    void relaysOnlyTheRightCallbackAndReportsCodexsTokenExchangeFailure() throws Exception {
        agent.startRun("real-br-1", "codex-local");
        JsonObject waiting = agent.awaitState("real-br-1", "awaiting_user", 30);
        String url = waiting.getString("authUrl");
        assertThat(url).startsWith("https://auth.openai.com/oauth/authorize?response_type=code")
            .contains("client_id=app_EMoamEEZ73f0CkXaXp7hrann")
            .contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback")
            .contains("code_challenge_method=S256").hasSize(465);

        AgentFixture.Response wrong = agent.post("/api/v1/runs/real-br-1/callback", new JsonObject().put("url",
            FakeBrowser.callbackFor(url, "code=abc&state=WRONG")));
        assertThat(wrong.status()).isEqualTo(400);
        assertThat(wrong.errorCode()).isEqualTo("STATE_MISMATCH");
        assertThat(agent.run("real-br-1").getString("state")).isEqualTo("awaiting_user");

        AgentFixture.Response relayed = agent.post("/api/v1/runs/real-br-1/callback", new JsonObject().put("url",
            FakeBrowser.callbackFor(url, "code=authcode-from-browser&state={state}")));
        assertThat(relayed.status()).as(relayed.body()).isEqualTo(202);
        assertThat(agent.awaitEvent("real-br-1", "callback_relayed", 30).getInteger("cliStatus")).as("codex answers its error page").isEqualTo(200);

        JsonObject failed = agent.awaitState("real-br-1", "failed", 60);
        assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("TOKEN_EXCHANGE_FAILED");
        assertThat(failed.getJsonObject("error").getString("message"))
            .startsWith("Token exchange failed: error sending request for url (https://auth.openai.com/oauth/token)");
        assertThat(failed.getInteger("exitCode")).isEqualTo(1);
        assertThat(agent.eventKinds("real-br-1")).containsSubsequence("auth_url_ready", "awaiting_input",
            "callback_received", "cli_exited", "failed");
        assertThat(agent.eventKinds("real-br-1")).contains("callback_relayed"); // not ordered against the exit
        assertThat(agent.events("real-br-1").toString()).doesNotContain("authcode-from-browser");
    }
}
