package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.Compat;
import dev.loginrelay.agent.testing.CompatibilityRecorder;
import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import dev.loginrelay.agent.testing.net.FakeInternet;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real pinned Gemini CLI (the TUI with the shipped spec's pre-seeded settings, paste flow) through the agent,
 * completed offline through the test's intercepting proxy ({@code HTTPS_PROXY}, {@code NODE_EXTRA_CA_CERTS} from a
 * spec overlay of the shipped {@code gemini} spec) and fake identity provider. Gemini's REPL stays alive after
 * success, so the agent must end it; a rejected code makes gemini print a new URL (which the run must show) and the
 * second rejection ends it.
 */
@Timeout(300)
@ExtendWith(CompatibilityRecorder.class)
@Compat(provider = "gemini", flow = "paste")
class RealGeminiPasteLoginTest {
    private static final String PROVIDER = "gemini-mitm";
    // Gemini needs ~4 s to its URL on an idle machine; give a busy 2-core CI box room.
    @RegisterExtension
    static final MitmRig.Extension RIG = MitmRig.extension("gemini", idp -> idp.email("linus@example.com"),
            n -> n.geminiOverlay(PROVIDER).put("timeouts", new JsonObject().put("startSeconds", 180)));

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
    void reachesReadyAndTheAgentEndsTheGeminiProcess() throws Exception {
        awaitCodePrompt("gemini-mitm-ok");
        Path home = agent().home("gemini-mitm-ok");
        assertThat(processesIn(home)).as("gemini runs in the run's HOME").isNotEmpty();
        AgentFixture.Response pasted = leaks().saw(agent().post("/api/v1/runs/gemini-mitm-ok/code",
            new JsonObject().put("code", net().idp().googleCode())));
        assertThat(pasted.status()).as(pasted.body()).isEqualTo(200);

        JsonObject ready = agent().awaitRun("gemini-mitm-ok", v -> v.getBoolean("terminal"), 150);
        assertThat(ready.getString("state")).as(ready.encode()).isEqualTo("ready");
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("linus@example.com");
        assertThat(agent().eventKinds("gemini-mitm-ok")).containsSubsequence("auth_url_ready", "awaiting_input",
            "code_submitted", "cli_reported_success", "verifying", "ready");
        assertThat(agent().eventKinds("gemini-mitm-ok")).as("the REPL does not exit by itself").doesNotContain("failed");

        AgentFixture.awaitTrue(() -> processesIn(home).isEmpty(), 30, "gemini's processes to end");
        assertThat(net().idp().routes("oauth2.googleapis.com")).contains("POST /token");
        assertThat(net().idp().routes("cloudcode-pa.googleapis.com")).contains("POST /v1internal:loadCodeAssist");
        assertThat(net().idp().requests()).filteredOn(x -> x.path().equals("/token")).first()
            .satisfies(x -> assertThat(x.body()).contains("grant_type=authorization_code",
                "redirect_uri=https%3A%2F%2Fcodeassist.google.com%2Fauthcode"));
        leaks().assertNoLeak(agent(), "gemini-mitm-ok", net().idp().issuedSecrets());
    }

    @Test
    void showsTheNewUrlAfterARejectedCodeAndFailsAfterTheSecond() throws Exception {
        String firstUrl = awaitCodePrompt("gemini-mitm-bad");
        List<String> secrets = new ArrayList<>(net().idp().issuedSecrets());
        String bad1 = "4/0staleCodeOne" + System.nanoTime();
        String bad2 = "4/0staleCodeTwo" + System.nanoTime();
        secrets.addAll(List.of(bad1, bad2));

        assertThat(leaks().saw(agent().post("/api/v1/runs/gemini-mitm-bad/code", new JsonObject().put("code", bad1)))
            .status()).isEqualTo(200);
        JsonObject again = agent().awaitRun("gemini-mitm-bad", v -> v.getBoolean("terminal")
            || v.getBoolean("awaitingInput") && !firstUrl.equals(v.getString("authUrl")), 120);
        assertThat(again.getString("state")).as(again.encode()).isEqualTo("awaiting_user");
        String secondUrl = again.getString("authUrl");
        assertThat(secondUrl).startsWith("https://accounts.google.com/o/oauth2/v2/auth?")
            .isNotEqualTo(firstUrl);
        assertThat(FakeBrowser.stateOf(secondUrl)).as("a new state")
            .isNotEqualTo(FakeBrowser.stateOf(firstUrl));
        List<JsonObject> events = agent().events("gemini-mitm-bad");
        assertThat(events).filteredOn(e -> e.getString("kind").equals("attempt_failed")).hasSize(1);
        assertThat(events).filteredOn(e -> e.getString("kind").equals("auth_url_ready"))
            .extracting(e -> e.getJsonObject("detail").getBoolean("retry")).containsExactly(false, true);

        assertThat(leaks().saw(agent().post("/api/v1/runs/gemini-mitm-bad/code", new JsonObject().put("code", bad2)))
            .status()).isEqualTo(200);
        JsonObject failed = agent().awaitRun("gemini-mitm-bad", v -> v.getBoolean("terminal"), 120);
        assertThat(failed.getString("state")).as(failed.encode()).isEqualTo("failed");
        assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("AUTH_FAILED");
        assertThat(failed.getJsonObject("error").getString("message"))
            .startsWith("Failed to authenticate with user code");
        assertThat(failed.getInteger("exitCode")).isEqualTo(41);
        assertThat(net().idp().requests()).filteredOn(x -> x.path().equals("/token"))
            .anySatisfy(x -> assertThat(x.body()).contains("code=" + bad1.replace("/", "%2F")))
            .anySatisfy(x -> assertThat(x.body()).contains("code=" + bad2.replace("/", "%2F")));
        leaks().assertNoLeak(agent(), "gemini-mitm-bad", secrets);
    }

    private static String awaitCodePrompt(String id) throws Exception {
        agent().startRun(id, PROVIDER);
        JsonObject waiting = agent().awaitInput(id, 200);
        assertThat(waiting.getString("state")).as(waiting.encode()).isEqualTo("awaiting_user");
        String url = waiting.getString("authUrl");
        assertThat(url).startsWith("https://accounts.google.com/o/oauth2/v2/auth?")
            .contains("redirect_uri=https%3A%2F%2Fcodeassist.google.com%2Fauthcode");
        return url;
    }

    /** Live processes whose working directory is the run's HOME: the CLI and every child it started. */
    private static List<ProcessHandle> processesIn(Path home) {
        return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive).filter(p -> {
            try {
                return Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "cwd")).startsWith(home);
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                return false;
            }
        }).toList();
    }
}
