package dev.loginrelay.controller.e2e;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.loginrelay.agent.testing.CapturedLogs;
import dev.loginrelay.agent.testing.Compat;
import dev.loginrelay.agent.testing.CompatibilityRecorder;
import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import dev.loginrelay.agent.testing.net.FakeInternet;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real pinned codex browser flow through the whole system, as the Connect page drives it: public API → controller
 * → agent process (the shipped jar) → {@code codex login} under a PTY, its HTTPS through the test's intercepting
 * proxy to the fake identity provider. The test plays the user's browser: from the session's {@code authUrl} it takes
 * the {@code redirect_uri} and {@code state} and posts {@code http://localhost:1455/auth/callback?code=…&state=…}
 * with a code the fake will accept. The agents get the overlay spec through {@code LOGINRELAY_AGENT_PROVIDERS_DIR}.
 * Nothing the fake issued appears in a response, the timeline, a table row, a log line or an agent's files.
 */
@Timeout(300)
@ExtendWith(CompatibilityRecorder.class)
@Compat(provider = "codex", flow = "browser", via = "controller")
class RealCodexBrowserThroughControllerTest {

    @Test
    void realCodexBrowserLoginReachesReadyThroughThePublicApi(@TempDir Path dir) throws Exception {
        login(dir, false);
    }

    /**
     * The same with codex's login started ahead (on by default): the warm agent's codex already listens on port
     * 1455 with its link out; the session takes it at the click ({@code agent.adopted}) and the user's callback
     * completes that very login, whose state and PKCE no one else saw.
     */
    @Test
    void aRealCodexLoginStartedAheadIsTakenAtTheClickAndCompletes(@TempDir Path dir) throws Exception {
        login(dir, true);
    }

    private static void login(Path dir, boolean ahead) throws Exception {
        assertThat(ControllerFixture.REPO.resolve(".clis/node_modules/.bin/codex")).as("run scripts/install-clis.sh")
            .isExecutable();
        ListAppender<ILoggingEvent> logs = new CapturedLogs();
        logs.start();
        root().addAppender(logs);
        try (FakeInternet net = FakeInternet.start(dir.resolve("net"));
             ControllerFixture c = new ControllerFixture(dir).spec(net.codexOverlay("codex-mitm"))) {
            if (ahead) {
                c.env.put("LOGINRELAY_LOCAL_PRESTART", "codex-mitm");
            }
            c.start();
            if (ahead) {
                RealClaudeCustodyThroughControllerTest.awaitLinkAhead(dir.resolve("data/agents"));
            }
            net.idp().email("hopper@example.com").codex().plan("team");
            List<String> seen = new ArrayList<>();
            JsonObject created = c.create("codex-mitm", "user-real-browser");
            String id = created.getString("id");
            String token = created.getString("sessionToken");

            JsonObject waiting = c.awaitSession(id, token, v -> v.getString("authUrl") != null
                || v.getBoolean("terminal"), 120);
            assertThat(waiting.getString("status")).as(waiting.encode()).isEqualTo("awaiting_user");
            assertThat(waiting.getString("expects")).isEqualTo("callback_url");
            String authUrl = waiting.getString("authUrl");
            assertThat(authUrl).startsWith("https://auth.openai.com/oauth/authorize?");
            String callback = FakeBrowser.callbackFor(authUrl,
                "code=" + net.idp().codex().authorizationCode() + "&state={state}");
            assertThat(callback).startsWith("http://localhost:1455/auth/callback?code=");

            ControllerFixture.Response relayed = c.post(id, "callback", new JsonObject().put("url", callback), token);
            seen.add(relayed.body());
            assertThat(relayed.status()).as(relayed.body()).isEqualTo(202);

            JsonObject ready = c.awaitSession(id, token, v -> v.getBoolean("terminal"), 120);
            seen.add(ready.encode());
            assertThat(ready.getString("status")).as(ready.encode()).isEqualTo("ready");
            assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("hopper@example.com");
            assertThat(ready.getJsonObject("account").getString("plan")).isEqualTo("team");
            String timeline = c.timeline(id).encode();
            assertThat(timeline).contains("agent.callback_relayed", "agent.ready");
            if (ahead) {
                assertThat(timeline).contains("agent.adopted");
            } else {
                assertThat(timeline).doesNotContain("agent.adopted");
            }
            assertThat(net.idp().routes("auth.openai.com")).containsExactly("POST /oauth/token", "POST /oauth/token");

            JsonObject operatorView = c.get(id, ControllerFixture.OPERATOR);
            seen.add(operatorView.encode());
            seen.add(timeline);
            seen.addAll(rows(c, "auth_sessions"));
            seen.addAll(rows(c, "auth_session_events"));
            seen.addAll(agentFiles(dir.resolve("data/agents").resolve(operatorView.getString("agentId")), id));
            logs.list.forEach(e -> seen.add(e.getFormattedMessage()));
            String all = String.join("\n", seen);
            assertThat(all).contains(id);
            for (String secret : net.idp().issuedSecrets()) {
                assertThat(all).as("secret %s... leaked", secret.substring(0, 6)).doesNotContain(secret);
            }
        } finally {
            root().detachAppender(logs);
        }
    }

    /** Every row of a table, as JSON text. */
    private static List<String> rows(ControllerFixture c, String table) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection conn = DriverManager.getConnection(c.database().jdbcUrl(), c.database().user(),
                c.database().password());
             Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT row_to_json(t)::text FROM " + table + " t")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        assertThat(out).as("rows of %s", table).isNotEmpty();
        return out;
    }

    /** The agent's own files (its log, diagnostics, records), not the CLI's HOME, which holds the credentials. */
    private static List<String> agentFiles(Path agentDir, String sessionId) throws Exception {
        List<String> out = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.walk(agentDir)) {
            for (Path f : files.filter(Files::isRegularFile)
                    .filter(p -> !agentDir.relativize(p).startsWith("sessions")).toList()) {
                names.add(agentDir.relativize(f).toString());
                out.add(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        assertThat(names).as("the agent's log and the session's diagnostics file")
            .contains("agent.out", "logs/" + sessionId + ".log");
        return out;
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
