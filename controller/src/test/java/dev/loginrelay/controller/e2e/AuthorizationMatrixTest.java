package dev.loginrelay.controller.e2e;

import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's authorization matrix, cell by cell, against a running controller: every endpoint × every caller
 * (the session's own token, the API key, the operator token, none; {@code ?access_token=} where it is taken). A cell
 * says the status the call gets; 401/403 mean refused, anything else means the caller got through to the endpoint's
 * own rules. All mismatches are reported at once.
 */
@Timeout(180)
class AuthorizationMatrixTest {
    private static final String SESSION = "session", API_KEY = "api key", OPERATOR = "operator", NONE = "none";
    private static final List<String> CALLERS = List.of(SESSION, API_KEY, OPERATOR, NONE);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;
    static ControllerFixture c;
    /** A loopback session waiting for its callback: the user-step endpoints are tried on it. */
    static JsonObject awaiting;

    @BeforeAll
    static void start() throws Exception {
        c = new ControllerFixture(dir).spec(FakeCliSpecs.loopback("fake-loopback", new JsonObject())).start();
        awaiting = c.create("fake-loopback", "matrix-user");
        c.awaitStatus(awaiting.getString("id"), awaiting.getString("sessionToken"), "awaiting_user", 60);
    }

    @AfterAll
    static void stop() throws Exception {
        c.close();
    }

    /** One row: a call and the status each of session, API key, operator, none gets. */
    record Row(String method, String path, String body, int session, int apiKey, int operator, int none) {
        int expected(String caller) {
            return switch (caller) {
                case SESSION -> session;
                case API_KEY -> apiKey;
                case OPERATOR -> operator;
                default -> none;
            };
        }
    }

    @Test
    void everyEndpointAnswersEveryCallerAsTheReadmeMatrixSays() throws Exception {
        String id = awaiting.getString("id");
        String s = "/api/v1/auth-sessions/" + id;
        String badCallback = "{\"url\":\"http://localhost:1455/auth/callback?code=x&state=not-this-one\"}";
        List<Row> table = List.of(
            new Row("GET", "/health", null, 200, 200, 200, 200),
            new Row("GET", "/metrics", null, 200, 200, 200, 200),
            new Row("GET", "/api/v1/openapi.json", null, 200, 200, 200, 200),
            new Row("GET", "/api/v1/providers", null, 200, 200, 200, 200),
            // create: the API key only (201); a fresh user per try, so only the rule under test can refuse it
            new Row("POST", "/api/v1/auth-sessions", "CREATE", 403, 201, 403, 401),
            new Row("GET", "/api/v1/auth-sessions", null, 403, 403, 200, 401),
            new Row("GET", "/api/v1/auth-sessions/counts", null, 403, 403, 200, 401),
            new Row("GET", s, null, 200, 200, 200, 401),
            new Row("GET", s + "/events", null, 200, 200, 200, 401),
            new Row("GET", s + "/events?access_token=TOKEN", null, 200, 401, 401, 401),
            new Row("GET", s + "/timeline", null, 403, 403, 200, 401),
            // the user's step: session token and API key reach the agent, which refuses this state (400)
            new Row("POST", s + "/callback", badCallback, 400, 400, 403, 401),
            new Row("POST", s + "/code", "{\"code\":\"abc#def\"}", 409, 409, 403, 401),
            // a session that is not the caller's: the session token sees nothing (404), the others no session
            new Row("GET", "/api/v1/auth-sessions/" + UUID.randomUUID(), null, 404, 404, 404, 401),
            new Row("POST", "/ui/sessions", "{\"provider\":\"fake-loopback\"}", 404, 404, 404, 404),
            // cancel last: it ends the session (200 for the first allowed caller, 409 after)
            new Row("POST", s + "/cancel", "{}", 200, 409, 409, 401));
        List<String> wrong = new ArrayList<>();
        int n = 0;
        for (Row row : table) {
            for (String caller : CALLERS) {
                int got = call(row, caller, n++);
                if (got != row.expected(caller)) {
                    wrong.add(row.method() + " " + row.path().replace(id, "{id}") + " as " + caller + ": expected "
                        + row.expected(caller) + ", got " + got);
                }
            }
        }
        assertThat(wrong).as("cells of the authorization matrix that do not hold (%d tried)", n).isEmpty();
    }

    private static int call(Row row, String caller, int n) throws Exception {
        String token = switch (caller) {
            case SESSION -> awaiting.getString("sessionToken");
            case API_KEY -> ControllerFixture.API_KEY;
            case OPERATOR -> ControllerFixture.OPERATOR;
            default -> null;
        };
        String path = row.path();
        boolean inQuery = path.contains("access_token=TOKEN");
        if (inQuery) {
            path = path.replace("TOKEN", token == null ? "" : token);
        }
        String body = "CREATE".equals(row.body()) ? new JsonObject().put("provider", "fake-loopback")
            .put("userId", "matrix-" + n).encode() : row.body();
        HttpRequest.Builder b = HttpRequest.newBuilder(c.uri(path)).timeout(Duration.ofSeconds(30));
        if (token != null && !inQuery) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json").header("X-Demo-User", "demo-matrix");
        }
        b.method(row.method(), body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
        // The event stream stays open: the status line is all a cell needs.
        HttpResponse<java.io.InputStream> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        r.body().close();
        return r.statusCode();
    }
}
