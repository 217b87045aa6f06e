package dev.loginrelay.agent.e2e;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.loginrelay.agent.testing.CapturedLogs;
import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Planted secrets (a token the CLI prints, the pasted code, the relayed callback code, every token the CLI saved)
 * never appear in a log line, an event, an API response or the diagnostics file.
 */
@Timeout(120)
class RedactionTest {
    private static final String PLANT = "sk-planted-7f3a9c1e5b2d4680abcdef";
    private static final String PASTE_CODE = "pastedSecretCode4711";
    private static final String CALLBACK_CODE = "callbackSecretCode0815";
    @TempDir
    static Path dir;
    static AgentFixture agent;
    static ListAppender<ILoggingEvent> logs = new CapturedLogs();

    @BeforeAll
    static void startAgent() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        agent = new AgentFixture(dir)
            .spec(FakeSpecs.paste("fake-claude", new JsonObject().put("FAKECLI_PLANT", PLANT)
                .put("FAKECLI_CODE_OK", PASTE_CODE)))
            .spec(FakeSpecs.loopback("fake-loopback", new JsonObject().put("FAKECLI_PLANT", PLANT)
                .put("FAKECLI_CODE_OK", CALLBACK_CODE)))
            .start();
    }

    @AfterAll
    static void stopAgent() throws Exception {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        agent.close();
    }

    @Test
    void plantedSecretsReachNoLogEventResponseOrDiagnosticsFile() throws Exception {
        List<String> seen = new ArrayList<>();
        agent.startRun("red-paste", "fake-claude");
        String url = agent.awaitInput("red-paste", 30).getString("authUrl");
        seen.add(agent.post("/api/v1/runs/red-paste/code", new JsonObject()
            .put("code", PASTE_CODE + "#" + FakeBrowser.stateOf(url))).body());
        seen.add(agent.awaitState("red-paste", "ready", 30).encode());

        agent.startRun("red-loop", "fake-loopback");
        String authUrl = agent.awaitState("red-loop", "awaiting_user", 30).getString("authUrl");
        seen.add(agent.post("/api/v1/runs/red-loop/callback", new JsonObject().put("url",
            FakeBrowser.callbackFor(authUrl, "code=" + CALLBACK_CODE + "&state={state}"))).body());
        seen.add(agent.awaitState("red-loop", "ready", 30).encode());
        // A wrong-state callback whose error body could echo the code.
        seen.add(agent.post("/api/v1/runs/red-loop/callback", new JsonObject().put("url",
            FakeBrowser.callbackFor(authUrl, "code=" + CALLBACK_CODE + "&state=WRONG"))).body());

        for (String id : List.of("red-paste", "red-loop")) {
            seen.add(agent.get("/api/v1/runs/" + id + "/events?after=0").body());
            seen.add(Files.readString(agent.config().logDir().resolve(id + ".log")));
        }
        seen.add(agent.get("/api/v1/runs").body());
        logs.list.forEach(e -> seen.add(e.getFormattedMessage() + (e.getThrowableProxy() == null ? ""
            : e.getThrowableProxy().getMessage())));

        List<String> secrets = new ArrayList<>(List.of(PLANT, PASTE_CODE, CALLBACK_CODE));
        secrets.addAll(tokensIn(agent.home("red-loop").resolve(".fakecli/auth.json")));
        secrets.addAll(tokensIn(agent.home("red-paste").resolve(".fakecli/credentials.json")));
        assertThat(secrets).hasSizeGreaterThan(4);
        String all = String.join("\n", seen);
        assertThat(all).contains("red-paste").contains("ready");
        for (String s : secrets) {
            assertThat(all).as("secret %s...", s.substring(0, 6)).doesNotContain(s);
        }
    }

    /** Every long string value in a credential file: tokens, id_token, refresh token. */
    private static List<String> tokensIn(Path file) throws Exception {
        List<String> out = new ArrayList<>();
        collect(new JsonObject(Files.readString(file)), out);
        return out;
    }

    private static void collect(Object v, List<String> out) {
        if (v instanceof JsonObject o) {
            o.forEach(e -> collect(e.getValue(), out));
        } else if (v instanceof io.vertx.core.json.JsonArray a) {
            a.forEach(x -> collect(x, out));
        } else if (v instanceof String s && s.length() >= 20 && !s.contains("@")) {
            out.add(s);
        }
    }
}
