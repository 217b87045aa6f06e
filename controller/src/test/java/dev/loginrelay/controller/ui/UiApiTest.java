package dev.loginrelay.controller.ui;

import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import dev.loginrelay.controller.ControllerConfig;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the pages call besides the public API: the demo endpoint (on and off), the time range and the counts. */
@Timeout(180)
class UiApiTest {
    @TempDir
    static Path dir;
    static ControllerFixture c;

    @BeforeAll
    static void start() throws Exception {
        c = ControllerFixture.forPages(dir)
            .spec(FakeCliSpecs.loopback("fake-loopback", new JsonObject()), "Codex (fake CLI)").start();
    }

    @AfterAll
    static void stop() throws Exception {
        c.close();
    }

    private static ControllerFixture.Response demoCreate(String user, String body) throws Exception {
        return c.call("POST", "/ui/sessions", body, null, user == null ? Map.of() : Map.of("X-Demo-User", user));
    }

    @Test
    void demoEndpointCreatesASessionOfTheDemoUserWithItsToken() throws Exception {
        ControllerFixture.Response r = demoCreate("demo-api1", "{\"provider\":\"fake-loopback\"}");

        assertThat(r.status()).as(r.body()).isEqualTo(201);
        JsonObject s = r.json();
        assertThat(s.getString("userId")).isEqualTo("demo-api1");
        String token = s.getString("sessionToken");
        assertThat(c.call("GET", "/api/v1/auth-sessions/" + s.getString("id"), null, token, Map.of()).status())
            .isEqualTo(200);
        assertThat(demoCreate("demo-api1", "{\"provider\":\"fake-loopback\"}").json().getJsonObject("error")
            .getString("code")).as("one active session per user and provider").isEqualTo("SESSION_ACTIVE");
        assertThat(c.call("POST", "/api/v1/auth-sessions/" + s.getString("id") + "/cancel", null, token, Map.of())
            .status()).isEqualTo(200);
    }

    @Test
    void demoEndpointRefusesRealUsersUnknownFieldsAndUnavailableProviders() throws Exception {
        assertThat(demoCreate(null, "{\"provider\":\"fake-loopback\"}").status()).isEqualTo(400);
        ControllerFixture.Response alice = demoCreate("alice", "{\"provider\":\"fake-loopback\"}");
        assertThat(alice.status()).isEqualTo(400);
        assertThat(alice.body()).contains("X-Demo-User must look like demo-");
        assertThat(demoCreate("demo-x", "{\"provider\":\"fake-loopback\",\"userId\":\"alice\"}").body())
            .contains("unknown field 'userId'");
        assertThat(demoCreate("demo-x", "{\"provider\":\"nope\"}").body()).contains("PROVIDER_UNKNOWN");
        assertThat(demoCreate("demo-x", "{\"provider\":\"qwen\"}").status()).isEqualTo(422);
    }

    @Test
    void listTakesATimeRangeAndRefusesBadInstants() throws Exception {
        ControllerFixture.Response created = demoCreate("demo-range", "{\"provider\":\"fake-loopback\"}");
        String id = created.json().getString("id");
        String since = Instant.now().minusSeconds(3600).toString();

        assertThat(c.operatorGet("/api/v1/auth-sessions?since=" + since).encode()).contains(id);
        assertThat(c.operatorGet("/api/v1/auth-sessions?since=2099-01-01T00:00:00Z").getJsonArray("sessions"))
            .isEmpty();
        assertThat(c.operatorGet("/api/v1/auth-sessions?until=2000-01-01T00:00:00%2B02:00")
            .getJsonArray("sessions")).isEmpty();
        ControllerFixture.Response bad = c.call("GET", "/api/v1/auth-sessions?since=yesterday", null,
            ControllerFixture.OPERATOR, Map.of());
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body()).contains("INVALID_INPUT").contains("since must be an ISO-8601 instant");
        assertThat(c.call("GET", "/api/v1/auth-sessions?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z",
            null, ControllerFixture.OPERATOR, Map.of()).status()).isEqualTo(400);

        JsonObject counts = c.operatorGet("/api/v1/auth-sessions/counts?provider=fake-loopback&since=" + since);
        assertThat(counts.getJsonObject("counts").fieldNames()).contains("pending", "ready", "failed", "cancelled");
        assertThat(counts.getLong("total")).isGreaterThanOrEqualTo(1);
        assertThat(c.call("GET", "/api/v1/auth-sessions/counts", null, created.json().getString("sessionToken"),
            Map.of()).status()).as("counts are for operators").isEqualTo(403);
        c.call("POST", "/api/v1/auth-sessions/" + id + "/cancel", null, ControllerFixture.OPERATOR, Map.of());
    }

    @Test
    void demoEndpointIsOffWithUiDemoFalse() throws Exception {
        try (ControllerFixture off = ControllerFixture.forPages(Files.createDirectories(dir.resolve("off")))) {
            off.env.put("LOGINRELAY_UI_DEMO", "false");
            off.start();
            ControllerFixture.Response r = off.call("POST", "/ui/sessions", "{\"provider\":\"codex\"}", null,
                Map.of("X-Demo-User", "demo-off"));
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.body()).contains("LOGINRELAY_UI_DEMO=false");
            assertThat(off.call("GET", "/", null, null, Map.of()).status()).as("the page is still served")
                .isEqualTo(200);
        }
        assertThatThrownBy(() -> ControllerConfig.fromEnv(Map.of("LOGINRELAY_UI_DEMO", "no")))
            .hasMessageContaining("LOGINRELAY_UI_DEMO must be true or false");
    }
}
