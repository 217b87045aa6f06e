package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.Compat;
import dev.loginrelay.agent.testing.CompatibilityRecorder;
import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import dev.loginrelay.agent.testing.net.FakeInternet;
import dev.loginrelay.agent.testing.net.MitmProxy;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real pinned Claude Code, {@code claude auth login} (paste flow), through the agent, completed offline: its
 * HTTPS goes through the test's intercepting proxy ({@code HTTPS_PROXY}, {@code NODE_EXTRA_CA_CERTS} from a spec
 * overlay of the shipped {@code claude} spec) to the fake identity provider. The test plays the user: it takes the
 * code the fake issued and the {@code state} of the run's auth URL and pastes {@code CODE#STATE}, as Anthropic's
 * page shows it. Success is proven by the shipped spec's own rule, {@code claude auth status}.
 */
@Timeout(300)
@ExtendWith(CompatibilityRecorder.class)
@Compat(provider = "claude", flow = "paste")
class RealClaudePasteLoginTest {
    private static final String PROVIDER = "claude-mitm";
    @RegisterExtension
    static final MitmRig.Extension RIG = MitmRig.extension("claude", idp -> idp.email("grace@example.com"),
            n -> n.claudeOverlay(PROVIDER));

    private static AgentFixture agent() {
        return RIG.agent();
    }

    private static FakeInternet net() {
        return RIG.net();
    }

    private static LeakCheck leaks() {
        return RIG.leaks();
    }

    @Test
    void reachesReadyWithTheAccountClaudeAuthStatusReports() throws Exception {
        String state = awaitCodePrompt("claude-mitm-ok");

        AgentFixture.Response pasted = leaks().saw(agent().post("/api/v1/runs/claude-mitm-ok/code",
            new JsonObject().put("code", net().idp().claudeCode() + "#" + state)));
        assertThat(pasted.status()).as(pasted.body()).isEqualTo(200);

        JsonObject ready = agent().awaitRun("claude-mitm-ok", v -> v.getBoolean("terminal"), 120);
        assertThat(ready.getString("state")).as(ready.encode()).isEqualTo("ready");
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("grace@example.com");
        assertThat(ready.getJsonObject("account").getString("plan")).as("organization_type claude_max")
            .isEqualTo("max");
        assertThat(ready.getInteger("exitCode")).isZero();
        assertThat(agent().eventKinds("claude-mitm-ok")).containsSubsequence("auth_url_ready", "awaiting_input",
            "code_submitted", "cli_reported_success", "cli_exited", "verifying", "ready");

        MitmProxy.Exchange token = net().idp().requests().stream()
            .filter(x -> x.host().equals("platform.claude.com") && x.path().equals("/v1/oauth/token"))
            .findFirst().orElseThrow();
        JsonObject sent = new JsonObject(token.body());
        assertThat(sent.getString("grant_type")).isEqualTo("authorization_code");
        assertThat(sent.getString("code")).as("only the part before #").isEqualTo(net().idp().claudeCode());
        assertThat(sent.getString("state")).as("claude sends its own state").isEqualTo(state);
        assertThat(sent.getString("redirect_uri")).isEqualTo("https://platform.claude.com/oauth/code/callback");
        assertThat(net().idp().routes("api.anthropic.com")).contains("GET /api/oauth/profile");
        leaks().assertNoLeak(agent(), "claude-mitm-ok", net().idp().issuedSecrets());
    }

    @Test
    void failsWithClaudesWordsWhenTheCodeIsRejected() throws Exception {
        String state = awaitCodePrompt("claude-mitm-rejected");
        String staleCode = "staleClaudeCode" + System.nanoTime();

        AgentFixture.Response pasted = leaks().saw(agent().post("/api/v1/runs/claude-mitm-rejected/code",
            new JsonObject().put("code", staleCode + "#" + state)));
        assertThat(pasted.status()).as(pasted.body()).isEqualTo(200);

        JsonObject failed = agent().awaitRun("claude-mitm-rejected", v -> v.getBoolean("terminal"), 60);
        assertThat(failed.getString("state")).as(failed.encode()).isEqualTo("failed");
        assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("CODE_REJECTED");
        assertThat(failed.getJsonObject("error").getString("message")).isEqualTo("That code wasn't accepted. It may "
            + "be incomplete, expired, already used, or from an earlier sign-in attempt. Sign in again to get a new "
            + "code.");
        assertThat(failed.getInteger("exitCode")).isEqualTo(1);
        List<String> secrets = new ArrayList<>(net().idp().issuedSecrets());
        secrets.add(staleCode);
        leaks().assertNoLeak(agent(), "claude-mitm-rejected", secrets);
    }

    /** Starts a run, waits for claude's paste prompt and returns the state of the full sign-in link. */
    private static String awaitCodePrompt(String id) throws Exception {
        agent().startRun(id, PROVIDER);
        JsonObject waiting = agent().awaitInput(id, 90);
        assertThat(waiting.getString("state")).as(waiting.encode()).isEqualTo("awaiting_user");
        String url = waiting.getString("authUrl");
        assertThat(url).startsWith("https://claude.com/cai/oauth/authorize?code=true")
            .contains("redirect_uri=https%3A%2F%2Fplatform.claude.com%2Foauth%2Fcode%2Fcallback");
        return FakeBrowser.stateOf(url);
    }
}
