package dev.loginrelay.controller.e2e;

import dev.loginrelay.agent.testing.Compat;
import dev.loginrelay.agent.testing.CompatibilityRecorder;
import dev.loginrelay.agent.testing.fakes.FakeCodexIssuer;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real pinned codex device flow through the whole system: public API → controller → agent process → codex under
 * a PTY → local fake issuer → ready, with the account identity; no token in any row, event or response.
 */
@Timeout(180)
@ExtendWith(CompatibilityRecorder.class)
@Compat(provider = "codex", flow = "device", via = "controller")
class RealCodexDeviceThroughControllerTest {

    @Test
    void realCodexDeviceLoginReachesReadyThroughThePublicApi(@TempDir Path dir) throws Exception {
        try (FakeCodexIssuer issuer = FakeCodexIssuer.start().approveAfterPolls(3).email("grace@example.com")
                .plan("team");
             ControllerFixture c = new ControllerFixture(dir).spec(new JsonObject().put("name", "codex-device-local")
                 .put("extends", "codex-device")
                 .put("command", new JsonArray(List.of("codex", "login", "--device-auth", "--experimental_issuer",
                     issuer.baseUrl())))
                 .put("env", new JsonObject().put("CODEX_HOME", "${HOME}/.codex")
                     .put("HTTPS_PROXY", "http://127.0.0.1:9").put("NO_PROXY", "127.0.0.1,localhost")))
                 .start()) {
            JsonObject created = c.create("codex-device-local", "user-real");
            String id = created.getString("id");
            String token = created.getString("sessionToken");
            JsonObject ready = c.awaitSession(id, token, v -> v.getBoolean("terminal"), 90);
            assertThat(ready.getString("status")).as(ready.encode()).isEqualTo("ready");
            assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("grace@example.com");
            assertThat(ready.getJsonObject("account").getString("plan")).isEqualTo("team");
            String timeline = c.timeline(id).encode();
            assertThat(timeline).contains("agent.device_code_ready").contains("agent.ready");
            for (String secret : List.of(issuer.accessToken(), issuer.refreshToken(), issuer.idToken(),
                    issuer.codeVerifier(), issuer.authorizationCode())) {
                assertThat(timeline + ready.encode()).doesNotContain(secret);
            }
        }
    }
}
