package dev.loginrelay.controller.e2e;

import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Who may do what, and bad input to every endpoint: a 4xx naming the problem, nothing changed. */
@Timeout(120)
class ControllerApiAuthTest {
    @TempDir
    static Path dir;
    static ControllerFixture c;
    static JsonObject a;
    static JsonObject b;

    @BeforeAll
    static void start() throws Exception {
        c = new ControllerFixture(dir).spec(FakeCliSpecs.loopback("fake-loopback", new JsonObject())).start();
        a = c.create("fake-loopback", "alice");
        b = c.create("fake-loopback", "bob");
    }

    @AfterAll
    static void stop() throws Exception {
        c.close();
    }

    private static int sessionCount() throws Exception {
        return c.call("GET", "/api/v1/auth-sessions?limit=1000", null, ControllerFixture.OPERATOR).json()
            .getJsonArray("sessions").size();
    }

    @Test
    void aSessionTokenCannotReadOrActOnAnotherSession() throws Exception {
        String tokenA = a.getString("sessionToken");
        String idB = b.getString("id");
        for (String[] call : new String[][] {{"GET", ""}, {"GET", "/events"}, {"POST", "/cancel"},
            {"POST", "/callback"}, {"POST", "/code"}}) {
            String body = call[1].equals("/callback") ? "{\"url\":\"http://localhost:1/cb?code=x&state=y\"}"
                : call[1].equals("/code") ? "{\"code\":\"x#y\"}" : null;
            ControllerFixture.Response r = c.call(call[0], "/api/v1/auth-sessions/" + idB + call[1], body, tokenA);
            assertThat(r.status()).as(call[0] + call[1]).isEqualTo(404);
        }
        assertThat(c.get(idB, ControllerFixture.OPERATOR).getString("status")).isNotEqualTo("cancelled");
    }

    @Test
    void operatorEndpointsRefuseEverythingButTheOperatorToken() throws Exception {
        for (String path : new String[] {"/api/v1/auth-sessions", "/api/v1/auth-sessions/" + a.getString("id")
            + "/timeline"}) {
            assertThat(c.call("GET", path, null, null).status()).isEqualTo(401);
            assertThat(c.call("GET", path, null, "not-a-token").status()).isEqualTo(401);
            assertThat(c.call("GET", path, null, ControllerFixture.API_KEY).status()).isEqualTo(403);
            assertThat(c.call("GET", path, null, a.getString("sessionToken")).status()).isEqualTo(403);
            assertThat(c.call("GET", path, null, ControllerFixture.OPERATOR).status()).isEqualTo(200);
        }
    }

    @Test
    void onlyTheApiKeyCreatesSessions() throws Exception {
        int before = sessionCount();
        String body = "{\"provider\":\"fake-loopback\",\"userId\":\"carol\"}";
        assertThat(c.call("POST", "/api/v1/auth-sessions", body, ControllerFixture.OPERATOR).status()).isEqualTo(403);
        assertThat(c.call("POST", "/api/v1/auth-sessions", body, a.getString("sessionToken")).status())
            .isEqualTo(403);
        assertThat(c.call("POST", "/api/v1/auth-sessions", body, null).status()).isEqualTo(401);
        assertThat(sessionCount()).isEqualTo(before);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "malformed JSON      | {\"provider\":                                | 400 | MALFORMED_JSON",
        "not an object       | [1,2]                                          | 400 | MALFORMED_JSON",
        "unknown provider    | {\"provider\":\"nope\",\"userId\":\"u\"}       | 400 | PROVIDER_UNKNOWN",
        "unsupported (qwen)  | {\"provider\":\"qwen\",\"userId\":\"u\"}       | 422 | PROVIDER_UNAVAILABLE",
        "missing userId      | {\"provider\":\"fake-loopback\"}               | 400 | INVALID_INPUT",
        "userId not a string | {\"provider\":\"fake-loopback\",\"userId\":1} | 400 | INVALID_INPUT",
        "unknown field       | {\"provider\":\"fake-loopback\",\"userId\":\"u\",\"x\":1} | 400 | INVALID_INPUT",
    })
    void refusesBadCreateRequests(String why, String body, int status, String code) throws Exception {
        int before = sessionCount();
        ControllerFixture.Response r = c.call("POST", "/api/v1/auth-sessions", body, ControllerFixture.API_KEY);
        assertThat(r.status()).as(why + ": " + r.body()).isEqualTo(status);
        assertThat(r.errorCode()).isEqualTo(code);
        assertThat(sessionCount()).isEqualTo(before);
    }

    @Test
    void refusesOversizedBodiesBadIdsAndBadFilters() throws Exception {
        int before = sessionCount();
        String big = "{\"provider\":\"fake-loopback\",\"userId\":\"" + "x".repeat(70_000) + "\"}";
        assertThat(c.call("POST", "/api/v1/auth-sessions", big, ControllerFixture.API_KEY).status()).isEqualTo(413);
        assertThat(c.call("GET", "/api/v1/auth-sessions/not-a-uuid", null, ControllerFixture.OPERATOR).errorCode())
            .isEqualTo("SESSION_NOT_FOUND");
        assertThat(c.call("GET", "/api/v1/auth-sessions?status=bogus", null, ControllerFixture.OPERATOR).status())
            .isEqualTo(400);
        assertThat(c.call("GET", "/api/v1/auth-sessions?limit=0", null, ControllerFixture.OPERATOR).status())
            .isEqualTo(400);
        assertThat(c.call("POST", "/api/v1/auth-sessions/" + a.getString("id") + "/code", "{\"code\":7}",
            a.getString("sessionToken")).status()).isEqualTo(400);
        assertThat(c.call("POST", "/api/v1/auth-sessions/" + a.getString("id") + "/callback", "{}",
            a.getString("sessionToken")).status()).isEqualTo(400);
        assertThat(sessionCount()).isEqualTo(before);
    }

    @Test
    void aSecondActiveSessionForTheSameUserAndProviderIsAConflict() throws Exception {
        ControllerFixture.Response r = c.call("POST", "/api/v1/auth-sessions",
            "{\"provider\":\"fake-loopback\",\"userId\":\"alice\"}", ControllerFixture.API_KEY);
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.errorCode()).isEqualTo("SESSION_ACTIVE");
        assertThat(r.json().getJsonObject("error").getString("message")).contains(a.getString("id"));
    }

    @Test
    void anIdempotentRetryReturnsTheSameSessionWithAFreshToken() throws Exception {
        String body = "{\"provider\":\"fake-loopback\",\"userId\":\"dave\"}";
        Map<String, String> key = Map.of("Idempotency-Key", "order-42");
        ControllerFixture.Response first = c.call("POST", "/api/v1/auth-sessions", body, ControllerFixture.API_KEY, key);
        ControllerFixture.Response again = c.call("POST", "/api/v1/auth-sessions", body, ControllerFixture.API_KEY, key);
        assertThat(first.status()).isEqualTo(201);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().getString("id")).isEqualTo(first.json().getString("id"));
        String newToken = again.json().getString("sessionToken");
        assertThat(c.get(first.json().getString("id"), newToken).getString("id")).isEqualTo(first.json().getString("id"));
        assertThat(c.call("GET", "/api/v1/auth-sessions/" + first.json().getString("id"), null,
            first.json().getString("sessionToken")).status()).as("the replaced token stops working").isEqualTo(401);
    }

    @Test
    void servesProvidersOpenApiAndMetrics() throws Exception {
        JsonObject providers = c.call("GET", "/api/v1/providers", null, null).json();
        assertThat(providers.getJsonArray("providers").encode()).contains("\"codex\"").contains("fake-loopback");
        assertThat(c.call("GET", "/api/v1/openapi.json", null, null).json().getString("openapi")).startsWith("3.");
        String metrics = c.call("GET", "/metrics", null, null).body();
        assertThat(metrics).contains("loginrelay_sessions");
    }
}
