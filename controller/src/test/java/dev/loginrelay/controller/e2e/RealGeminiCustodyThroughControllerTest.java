package dev.loginrelay.controller.e2e;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.loginrelay.agent.testing.CapturedLogs;
import dev.loginrelay.agent.testing.fakes.FakeIdentityProvider;
import dev.loginrelay.agent.testing.net.FakeInternet;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real pinned Gemini CLI paste login through the controller's public API, targeted at the user's workspace: the
 * user pastes the code Google's page shows, the session reaches {@code ready}, the controller takes the files into
 * custody and installs them into a second real agent acting as the workspace. Gemini has no status command, so the
 * proof is a real {@code gemini -p} in the workspace HOME (nothing but the installed files and the user's own
 * environment) that gets the fake model's answer: Code Assist answers only the access token the fake issued. Gemini's
 * HTTPS goes to the fake identity provider. The fake's tokens and the pasted code appear in no log line, event,
 * view or error body.
 */
@Timeout(480)
class RealGeminiCustodyThroughControllerTest {
    private static final String PROVIDER = "gemini-mitm";
    private static final String USER = "linus";
    private static final String CREDS = ".gemini/oauth_creds.json";
    private static final String ACCOUNTS = ".gemini/google_accounts.json";
    private static final String SETTINGS = ".gemini/settings.json";
    private static final String ONE = "/api/v1/credentials/" + USER + "/" + PROVIDER;

    private final List<String> seen = new ArrayList<>();

    @Test
    void realGeminiLoginIsInstalledIntoTheWorkspaceWhereGeminiAnswersAPrompt(@TempDir Path dir) throws Exception {
        assertThat(ControllerFixture.REPO.resolve(".clis/node_modules/.bin/gemini")).as("run scripts/install-clis.sh")
            .isExecutable();
        ListAppender<ILoggingEvent> logs = new CapturedLogs();
        logs.start();
        root().addAppender(logs);
        try (FakeInternet net = FakeInternet.start(dir.resolve("net"));
             ControllerFixture c = new ControllerFixture(dir.resolve("controller"))
                 // Gemini needs ~4 s to its URL on an idle machine; give a busy 2-core box room.
                 .spec(net.geminiOverlay(PROVIDER).put("timeouts", new JsonObject().put("startSeconds", 180)));
             WorkspaceAgent ws = new WorkspaceAgent(dir.resolve("ws"), dir.resolve("controller/providers"))) {
            net.idp().email("linus@example.com");
            // The user's own gemini settings in the workspace: custody must add the sign-in method, not replace them.
            Files.createDirectories(ws.home.resolve(".gemini"));
            Files.writeString(ws.home.resolve(SETTINGS), "{\"ui\":{\"theme\":\"GitHub\"}}\n");
            c.env.put("LOGINRELAY_WORKSPACES", ws.entry("ws-linus", USER));
            c.start();

            JsonObject created = c.call("POST", "/api/v1/auth-sessions", new JsonObject().put("provider", PROVIDER)
                .put("userId", USER).put("workspace", "ws-linus").encode(), ControllerFixture.API_KEY).json();
            String id = created.getString("id");
            String token = created.getString("sessionToken");
            JsonObject waiting = c.awaitSession(id, token, v -> v.getString("authUrl") != null
                || v.getBoolean("terminal"), 200);
            assertThat(waiting.getString("expects")).as(waiting.encode()).isEqualTo("code");
            assertThat(waiting.getString("authUrl")).startsWith("https://accounts.google.com/o/oauth2/v2/auth?");
            // What the user does: paste the code Google's page showed into the Connect page.
            ControllerFixture.Response pasted = c.post(id, "code", new JsonObject().put("code",
                net.idp().googleCode()), token);
            assertThat(pasted.status()).as(pasted.body()).isEqualTo(200);
            seen.add(pasted.body());
            seen.add(c.awaitStatus(id, token, "ready", 150).encode());

            JsonObject installed = awaitInstalled(c);
            assertThat(installed.getJsonObject("account").getString("email")).isEqualTo("linus@example.com");
            assertThat(installed.getString("sourceSessionId")).isEqualTo(id);
            assertThat(installed.getString("expiresAt")).as("oauth_creds.json's expiry_date").isNotNull();
            JsonObject where = c.call("GET", "/api/v1/auth-sessions/" + id + "/credentials", null, token).json();
            assertThat(where.getString("state")).as("what the Connect page shows").isEqualTo("installed");
            seen.add(where.encode());

            Path creds = ws.home.resolve(CREDS);
            JsonObject written = new JsonObject(Files.readString(creds, StandardCharsets.UTF_8));
            List<String> secrets = new ArrayList<>(net.idp().issuedSecrets());
            for (String field : List.of("access_token", "refresh_token", "id_token")) {
                assertThat(written.getString(field)).as(field + " in the installed file").isNotBlank();
                assertThat(net.idp().issuedSecrets().toString().contains(written.getString(field))
                    || field.equals("id_token")).as(field + " is the one the fake issued").isTrue();
                secrets.add(written.getString(field));
            }
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(creds))).isEqualTo("rw-------");
            assertThat(new JsonObject(Files.readString(ws.home.resolve(ACCOUNTS))).getString("active"))
                .as("the account file goes with the tokens").isEqualTo("linus@example.com");
            JsonObject settings = new JsonObject(Files.readString(ws.home.resolve(SETTINGS)));
            assertThat(settings.getJsonObject("ui").getString("theme")).as("the user's own setting stays")
                .isEqualTo("GitHub");
            assertThat(settings.getJsonObject("security").getJsonObject("auth").getString("selectedType"))
                .as("gemini signs in with Google").isEqualTo("oauth-personal");
            JsonArray events = c.call("GET", ONE + "/events", null, ControllerFixture.OPERATOR).json()
                .getJsonArray("events");
            seen.add(events.encode());
            JsonObject install = events.stream().map(JsonObject.class::cast)
                .filter(e -> e.getString("kind").equals("installed")).findFirst().orElseThrow();
            assertThat(install.getJsonObject("detail").getBoolean("verified")).as(install.encode()).isTrue();
            assertThat(install.getJsonObject("detail").getJsonObject("account").getString("email"))
                .as("read in the workspace").isEqualTo("linus@example.com");

            // The proof: the user's own gemini in the workspace answers a prompt with the installed login only.
            long before = tokenGrants(net);
            WorkspaceAgent.Result answer = prompt(ws, net);
            assertThat(answer.exitCode()).as(answer.output()).isZero();
            assertThat(answer.output()).contains(FakeIdentityProvider.geminiModelReply());
            assertThat(net.idp().routes("oauth2.googleapis.com")).as("gemini checked the installed access token")
                .contains("POST /tokeninfo");
            assertThat(net.idp().routes("cloudcode-pa.googleapis.com"))
                .contains("POST /v1internal:streamGenerateContent");
            assertThat(tokenGrants(net)).as("no new login, no refresh: the token is fresh").isEqualTo(before);
            seen.add(answer.output());

            // Bad input is refused without echoing anything secret.
            ControllerFixture.Response stranger = c.call("POST", ONE + "/install", new JsonObject()
                .put("workspace", "ws-nobody").encode(), ControllerFixture.API_KEY);
            assertThat(stranger.status()).as(stranger.body()).isBetween(400, 499);
            seen.add(stranger.body());
            seen.add(c.call("GET", "/api/v1/credentials", null, ControllerFixture.OPERATOR).body());

            ControllerFixture.Response revoked = c.call("DELETE", ONE, null, ControllerFixture.API_KEY);
            assertThat(revoked.status()).as(revoked.body()).isEqualTo(200);
            seen.add(revoked.body());
            assertThat(creds).doesNotExist();
            assertThat(ws.home.resolve(ACCOUNTS)).doesNotExist();
            assertThat(ws.home.resolve(SETTINGS)).as("the user's settings are theirs").exists();
            WorkspaceAgent.Result after = prompt(ws, net);
            assertThat(after.exitCode()).as("signed out after revoke: " + after.output()).isEqualTo(41);
            assertThat(after.output()).doesNotContain(FakeIdentityProvider.geminiModelReply());

            seen.add(c.timeline(id).encode());
            seen.add(c.call("GET", ONE + "/events", null, ControllerFixture.OPERATOR).body());
            logs.list.forEach(e -> seen.add(e.getFormattedMessage()));
            String all = String.join("\n", seen);
            assertThat(all).contains("linus@example.com");
            secrets.add(net.idp().googleCode());
            for (String secret : secrets) {
                assertThat(all).as("a secret leaked").doesNotContain(secret);
            }
        } finally {
            root().detachAppender(logs);
        }
    }

    /** {@code gemini -p} in the workspace; on a hang, what it asked the fake for. */
    private static WorkspaceAgent.Result prompt(WorkspaceAgent ws, FakeInternet net) throws Exception {
        int seen = net.idp().requests().size();
        try {
            return ws.cli(List.of("gemini", "-p", "Say hello"), userEnv(net), 90);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nrequests: " + net.idp().requests().stream().skip(seen)
                .map(x -> x.method() + " " + x.host() + x.path()).toList(), e);
        }
    }

    private static long tokenGrants(FakeInternet net) {
        return net.idp().routes("oauth2.googleapis.com").stream().filter("POST /token"::equals).count();
    }

    /** The environment of the user's shell in the workspace: its network (the proxy, the CA) and a trusted folder. */
    private static Map<String, String> userEnv(FakeInternet net) {
        Map<String, String> env = new HashMap<>();
        net.env(FakeInternet.NODE_CA).forEach(e -> env.put(e.getKey(), String.valueOf(e.getValue())));
        env.put("GEMINI_CLI_TRUST_WORKSPACE", "true");
        env.put("TERM", "dumb");
        return env;
    }

    private JsonObject awaitInstalled(ControllerFixture c) throws Exception {
        long deadline = System.nanoTime() + 90_000_000_000L;
        String last = null;
        while (System.nanoTime() < deadline) {
            ControllerFixture.Response r = c.call("GET", ONE + "/status", null, ControllerFixture.API_KEY);
            last = r.body();
            if (r.status() == 200 && "installed".equals(r.json().getString("state"))) {
                seen.add(last);
                return r.json();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not installed; last: " + last + "\nevents: "
            + c.call("GET", ONE + "/events", null, ControllerFixture.OPERATOR).body());
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
