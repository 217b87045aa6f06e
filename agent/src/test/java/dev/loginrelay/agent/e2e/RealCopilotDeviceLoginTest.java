package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.Compat;
import dev.loginrelay.agent.testing.CompatibilityRecorder;
import dev.loginrelay.agent.testing.fakes.FakeGitHubApi;
import dev.loginrelay.agent.testing.net.FakeInternet;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real pinned GitHub Copilot CLI, {@code copilot login --device-code}, through the agent, offline: its HTTPS goes
 * through the test's intercepting proxy ({@code HTTPS_PROXY}, {@code NODE_EXTRA_CA_CERTS} from an overlay of the
 * shipped {@code copilot} spec) to the fake GitHub. The test plays the user on GitHub's device page by scripting the
 * fake: approve, deny, or let the code expire. Each test gets its own fake GitHub and agent, since the fake's device
 * code and its outcome belong to one login.
 */
@Timeout(240)
@ExtendWith(CompatibilityRecorder.class)
@Compat(provider = "copilot", flow = "device")
class RealCopilotDeviceLoginTest {
    private static final String PROVIDER = "copilot-mitm";
    @TempDir
    Path dir;
    MitmRig rig;

    @AfterEach
    void stop() throws Exception {
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    void reachesReadyWithTheAccountCopilotSaved() throws Exception {
        FakeGitHubApi github = start(g -> g.approveAfterPolls(2).login("octo-fake"), n -> n.copilotOverlay(PROVIDER));
        JsonObject shown = awaitCode("copilot-ok", github);

        JsonObject ready = rig.agent.awaitRun("copilot-ok", v -> v.getBoolean("terminal"), 90);
        assertThat(ready.getString("state")).as(ready.encode()).isEqualTo("ready");
        assertThat(ready.getJsonObject("account").getString("login")).isEqualTo("octo-fake");
        assertThat(ready.getJsonObject("account").getString("host")).isEqualTo("https://github.com");
        assertThat(ready.getInteger("exitCode")).isZero();
        assertThat(shown.getString("verificationUrl")).isEqualTo("https://github.com/login/device");
        assertThat(rig.agent.eventKinds("copilot-ok")).containsSubsequence("started", "cli_started",
            "device_code_ready", "cli_reported_success", "cli_exited", "verifying", "ready")
            .as("settings.json says plaintext storage is fine, so copilot asks nothing").doesNotContain("prompt_answered");

        Path config = rig.agent.home("copilot-ok").resolve(".copilot/config.json");
        assertThat(Files.readString(config)).startsWith("//").contains(github.accessToken());
        assertThat(rig.net.idp().routes("github.com")).containsSubsequence("POST /login/device/code",
            "POST /login/oauth/access_token", "POST /login/oauth/access_token", "POST /login/oauth/access_token");
        assertThat(rig.net.idp().routes("api.github.com")).contains("GET /copilot_internal/user");
        assertThat(github.polls()).isEqualTo(3);
        rig.leaks.assertNoLeak(rig.agent, "copilot-ok", rig.net.idp().issuedSecrets());
    }

    @Test
    void answersTheKeychainQuestionWhenCopilotAsksIt() throws Exception {
        // Without the seeded settings.json copilot asks "Store token in plaintext config file? (y/N)" after the
        // approval (no keychain here); the spec's prompt rule answers it.
        start(g -> g.approveAfterPolls(1), n -> n.copilotOverlay(PROVIDER).put("files", new JsonArray()));
        rig.agent.startRun("copilot-asks", PROVIDER);

        JsonObject ready = rig.agent.awaitRun("copilot-asks", v -> v.getBoolean("terminal"), 120);
        assertThat(ready.getString("state")).as(ready.encode()).isEqualTo("ready");
        assertThat(ready.getJsonObject("account").getString("login")).isEqualTo("octo-fake");
        assertThat(rig.agent.eventKinds("copilot-asks")).containsSubsequence("device_code_ready", "prompt_answered",
            "cli_reported_success", "ready");
        assertThat(rig.agent.home("copilot-asks").resolve(".copilot/settings.json")).doesNotExist();
        rig.leaks.assertNoLeak(rig.agent, "copilot-asks", rig.net.idp().issuedSecrets());
    }

    @Test
    void failsWhenTheCodeExpiresBeforeTheUserApproves() throws Exception {
        FakeGitHubApi github = start(g -> g.approveAfterPolls(Integer.MAX_VALUE).expiresIn(5),
            n -> n.copilotOverlay(PROVIDER));
        awaitCode("copilot-expired", github);

        JsonObject failed = rig.agent.awaitRun("copilot-expired", v -> v.getBoolean("terminal"), 90);
        assertThat(failed.getString("state")).as(failed.encode()).isEqualTo("failed");
        assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("DEVICE_AUTH_EXPIRED");
        assertThat(failed.getJsonObject("error").getString("message"))
            .isEqualTo("Device code expired before authorization completed");
        assertThat(failed.getInteger("exitCode")).isEqualTo(1);
        assertThat(rig.agent.home("copilot-expired").resolve(".copilot/config.json")).doesNotExist();
        rig.leaks.assertNoLeak(rig.agent, "copilot-expired", rig.net.idp().issuedSecrets());
    }

    @Test
    void aDenialIsOnlySeenWhenTheCodeExpires() throws Exception {
        // Copilot 1.0.102 treats GitHub's access_denied like authorization_pending and keeps polling until the
        // code's own expires_in; the run ends then, with copilot's words, and no credentials.
        FakeGitHubApi github = start(g -> g.approveAfterPolls(Integer.MAX_VALUE).expiresIn(12),
            n -> n.copilotOverlay(PROVIDER));
        awaitCode("copilot-denied", github);
        github.deny();
        int pollsAtDenial = github.polls();

        JsonObject failed = rig.agent.awaitRun("copilot-denied", v -> v.getBoolean("terminal"), 90);
        assertThat(failed.getString("state")).as(failed.encode()).isEqualTo("failed");
        assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("DEVICE_AUTH_EXPIRED");
        assertThat(github.polls()).as("copilot polled on after access_denied").isGreaterThan(pollsAtDenial + 1);
        assertThat(rig.agent.home("copilot-denied").resolve(".copilot/config.json")).doesNotExist();
        rig.leaks.assertNoLeak(rig.agent, "copilot-denied", rig.net.idp().issuedSecrets());
    }

    /** Starts the rig: {@code github} scripts the fake GitHub, {@code spec} makes the agent's overlay spec. */
    private FakeGitHubApi start(Consumer<FakeGitHubApi> github, Function<FakeInternet, JsonObject> spec)
        throws Exception {
        rig = MitmRig.start(dir, "copilot", idp -> github.accept(idp.github()), spec);
        return rig.net.idp().github();
    }

    /** Starts a run and waits for the device code the fake issued; returns the run's view then. */
    private JsonObject awaitCode(String id, FakeGitHubApi github) throws Exception {
        rig.agent.startRun(id, PROVIDER);
        JsonObject shown = rig.agent.awaitRun(id, v -> v.getString("userCode") != null || v.getBoolean("terminal"),
            120);
        assertThat(shown.getString("state")).as(shown.encode()).isEqualTo("awaiting_user");
        assertThat(shown.getString("userCode")).isEqualTo(github.userCode());
        return shown;
    }
}
