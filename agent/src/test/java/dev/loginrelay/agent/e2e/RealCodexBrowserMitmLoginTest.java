package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.Compat;
import dev.loginrelay.agent.testing.CompatibilityRecorder;
import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import dev.loginrelay.agent.testing.fakes.FakeCodexIssuer;
import dev.loginrelay.agent.testing.net.FakeInternet;
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
 * The real pinned codex browser flow ({@code codex login}) through the agent, completed offline: codex's HTTPS goes
 * through the test's intercepting proxy ({@code HTTPS_PROXY}, {@code CODEX_CA_CERTIFICATE} from a spec overlay of the
 * shipped {@code codex} spec) to the fake identity provider. The test plays the user's browser: it builds the
 * {@code http://localhost:1455/auth/callback?code=…&state=…} address from the auth URL the agent read off the PTY.
 * Codex binds the fixed port 1455, so its runs are serialized (and this class runs alone, as surefire runs classes).
 */
@Timeout(300)
@ExtendWith(CompatibilityRecorder.class)
@Compat(provider = "codex", flow = "browser")
class RealCodexBrowserMitmLoginTest {
    private static final String PROVIDER = "codex-mitm";
    @RegisterExtension
    static final MitmRig.Extension RIG = MitmRig.extension("codex",
        idp -> idp.email("ada@example.com").codex().plan("pro"),
            n -> n.codexOverlay(PROVIDER));

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
    void reachesReadyWithTheIdTokensAccountAfterTheAgentFollowsTheSuccessRedirect() throws Exception {
        FakeCodexIssuer openai = net().idp().codex();
        String url = awaitAuthUrl("codex-mitm-ok");

        AgentFixture.Response relayed = leaks().saw(agent().post("/api/v1/runs/codex-mitm-ok/callback", new JsonObject()
            .put("url", FakeBrowser.callbackFor(url,
                "code=" + openai.authorizationCode() + "&state={state}"))));
        assertThat(relayed.status()).as(relayed.body()).isEqualTo(202);
        assertThat(agent().awaitEvent("codex-mitm-ok", "callback_relayed", 30).getInteger("cliStatus")).as("codex redirects to /success").isEqualTo(302);
        assertThat(agent().awaitEvent("codex-mitm-ok", "callback_relayed", 30).getString("followed")).isEqualTo("/success");
        assertThat(agent().awaitEvent("codex-mitm-ok", "callback_relayed", 30).getInteger("followedStatus")).isEqualTo(200);

        JsonObject ready = agent().awaitRun("codex-mitm-ok", v -> v.getBoolean("terminal"), 120);
        assertThat(ready.getString("state")).as(ready.encode()).isEqualTo("ready");
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("ada@example.com");
        assertThat(ready.getJsonObject("account").getString("plan")).isEqualTo("pro");
        assertThat(ready.getInteger("exitCode")).isZero();
        List<String> kinds = agent().eventKinds("codex-mitm-ok");
        // codex prints its success line and exits as soon as the followed /success arrives, which can be before the
        // relay's own answer is recorded: those are not ordered against each other.
        assertThat(kinds).containsSubsequence("auth_url_ready", "callback_received", "cli_exited", "verifying", "ready");
        assertThat(kinds).containsSubsequence("callback_received", "callback_relayed");
        assertThat(kinds).containsSubsequence("callback_received", "cli_reported_success", "cli_exited");

        List<String> token = net().idp().requests().stream().filter(x -> x.host().equals("auth.openai.com"))
            .map(x -> x.method() + " " + x.path() + " " + x.body()).toList();
        assertThat(token).as("the code exchange, then the API-key exchange").hasSize(2);
        assertThat(token.get(0)).startsWith("POST /oauth/token grant_type=authorization_code")
            .contains("code=" + openai.authorizationCode(), "client_id=" + FakeCodexIssuer.CODEX_CLIENT_ID);
        assertThat(token.get(1)).contains("requested_token=openai-api-key");
        assertThat(net().proxy().connects()).as("codex talked to no other host").containsOnly("auth.openai.com:443");
        leaks().assertNoLeak(agent(), "codex-mitm-ok", net().idp().issuedSecrets());
    }

    @Test
    void failsWithCodexsWordsWhenTheUserDeniesAccess() throws Exception {
        String url = awaitAuthUrl("codex-mitm-denied");
        int tokenCalls = net().idp().routes("auth.openai.com").size();

        AgentFixture.Response relayed = leaks().saw(agent().post("/api/v1/runs/codex-mitm-denied/callback",
            new JsonObject().put("url", FakeBrowser.callbackFor(url,
                "error=access_denied&error_description=User+denied&state={state}"))));
        assertThat(relayed.status()).as(relayed.body()).isEqualTo(202);

        JsonObject failed = agent().awaitRun("codex-mitm-denied", v -> v.getBoolean("terminal"), 60);
        assertThat(failed.getString("state")).as(failed.encode()).isEqualTo("failed");
        assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("ACCESS_DENIED");
        assertThat(failed.getJsonObject("error").getString("message")).isEqualTo("Sign-in failed: User denied");
        assertThat(failed.getInteger("exitCode")).isEqualTo(1);
        assertThat(net().idp().routes("auth.openai.com")).as("no token request after a denial").hasSize(tokenCalls);
        leaks().assertNoLeak(agent(), "codex-mitm-denied", net().idp().issuedSecrets());
    }

    @Test
    void failsWithCodexsWordsWhenTheTokenEndpointRejectsTheCode() throws Exception {
        String url = awaitAuthUrl("codex-mitm-rejected");
        String staleCode = "authcode-stale-" + System.nanoTime();

        AgentFixture.Response relayed = leaks().saw(agent().post("/api/v1/runs/codex-mitm-rejected/callback",
            new JsonObject().put("url", FakeBrowser.callbackFor(url, "code=" + staleCode
                + "&state={state}"))));
        assertThat(relayed.status()).as(relayed.body()).isEqualTo(202);
        assertThat(agent().awaitEvent("codex-mitm-rejected", "callback_relayed", 30).getInteger("cliStatus")).as("codex shows its error page").isEqualTo(200);

        JsonObject failed = agent().awaitRun("codex-mitm-rejected", v -> v.getBoolean("terminal"), 60);
        assertThat(failed.getString("state")).as(failed.encode()).isEqualTo("failed");
        assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("TOKEN_EXCHANGE_FAILED");
        assertThat(failed.getJsonObject("error").getString("message")).isEqualTo("Token exchange failed: token "
            + "endpoint returned status 400 Bad Request: Invalid authorization code");
        assertThat(failed.getInteger("exitCode")).isEqualTo(1);
        assertThat(net().idp().requests()).anySatisfy(x -> assertThat(x.body()).contains("code=" + staleCode));
        List<String> secrets = new ArrayList<>(net().idp().issuedSecrets());
        secrets.add(staleCode);
        leaks().assertNoLeak(agent(), "codex-mitm-rejected", secrets);
    }

    private static String awaitAuthUrl(String id) throws Exception {
        agent().startRun(id, PROVIDER);
        JsonObject waiting = agent().awaitRun(id, v -> v.getString("authUrl") != null || v.getBoolean("terminal"), 90);
        assertThat(waiting.getString("state")).as(waiting.encode()).isEqualTo("awaiting_user");
        String url = waiting.getString("authUrl");
        assertThat(url).startsWith("https://auth.openai.com/oauth/authorize?response_type=code")
            .contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback");
        return url;
    }
}
