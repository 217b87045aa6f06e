package dev.loginrelay.controller.e2e;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.loginrelay.agent.testing.CapturedLogs;
import dev.loginrelay.agent.testing.Compat;
import dev.loginrelay.agent.testing.CompatibilityRecorder;
import dev.loginrelay.agent.testing.net.FakeInternet;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real pinned GitHub Copilot CLI device flow through the whole system: public API → controller → agent process
 * (the shipped jar) → {@code copilot login --device-code} under a PTY, its HTTPS through the test's intercepting proxy
 * to the fake GitHub. The session shows GitHub's device page and the code (what the Connect page shows large); the
 * fake then approves, as GitHub does once the user entered the code. No token in a response, the timeline or a log.
 */
@Timeout(300)
@ExtendWith(CompatibilityRecorder.class)
@Compat(provider = "copilot", flow = "device", via = "controller")
class RealCopilotDeviceThroughControllerTest {

    @Test
    void realCopilotDeviceLoginReachesReadyThroughThePublicApi(@TempDir Path dir) throws Exception {
        assertThat(ControllerFixture.REPO.resolve(".clis/node_modules/.bin/copilot")).as("run scripts/install-clis.sh")
            .isExecutable();
        ListAppender<ILoggingEvent> logs = new CapturedLogs();
        logs.start();
        root().addAppender(logs);
        try (FakeInternet net = FakeInternet.start(dir.resolve("net"));
             ControllerFixture c = new ControllerFixture(dir).spec(net.copilotOverlay("copilot-mitm")).start()) {
            net.idp().github().approveAfterPolls(2).login("mona-fake");
            JsonObject shipped = c.call("GET", "/api/v1/providers", null, null).json().getJsonArray("providers")
                .stream().map(JsonObject.class::cast).filter(p -> "copilot".equals(p.getString("name"))).findFirst()
                .orElseThrow();
            assertThat(shipped.getBoolean("available")).as("the Connect page's button: %s", shipped).isTrue();
            assertThat(shipped.getString("displayName")).isEqualTo("GitHub Copilot CLI");
            JsonObject created = c.create("copilot-mitm", "user-real-copilot");
            String id = created.getString("id");
            String token = created.getString("sessionToken");

            JsonObject waiting = c.awaitSession(id, token, v -> v.getString("userCode") != null
                || v.getBoolean("terminal"), 150);
            assertThat(waiting.getString("status")).as(waiting.encode()).isEqualTo("awaiting_user");
            assertThat(waiting.getString("expects")).isEqualTo("none");
            assertThat(waiting.getString("verificationUrl")).isEqualTo("https://github.com/login/device");
            assertThat(waiting.getString("userCode")).isEqualTo(net.idp().github().userCode());

            JsonObject ready = c.awaitSession(id, token, v -> v.getBoolean("terminal"), 120);
            assertThat(ready.getString("status")).as(ready.encode()).isEqualTo("ready");
            assertThat(ready.getJsonObject("account").getString("login")).isEqualTo("mona-fake");
            String timeline = c.timeline(id).encode();
            assertThat(timeline).contains("agent.device_code_ready", "agent.ready");

            List<String> seen = new ArrayList<>(List.of(created.encode(), waiting.encode(), ready.encode(), timeline,
                c.get(id, ControllerFixture.OPERATOR).encode()));
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

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
