package dev.loginrelay.agent.e2e;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every endpoint answers bad input with a 4xx naming the problem, and nothing changes. */
@Timeout(60)
class AgentApiBadInputTest {
    @TempDir
    static Path dir;
    static AgentFixture agent;

    @BeforeAll
    static void startAgent() throws Exception {
        agent = new AgentFixture(dir).spec(FakeSpecs.loopback("fake-loopback", new JsonObject())).start();
    }

    @AfterAll
    static void stopAgent() throws Exception {
        agent.close();
    }

    private static int runCount() throws Exception {
        return agent.get("/api/v1/runs").json().getJsonArray("runs").size();
    }

    @Test
    void healthNeedsNoTokenButTheApiDoes() throws Exception {
        int before = runCount();
        assertThat(agent.call("GET", "/health", null, null).status()).isEqualTo(200);
        AgentFixture.Response none = agent.call("GET", "/api/v1/providers", null, null);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.errorCode()).isEqualTo("UNAUTHORIZED");
        AgentFixture.Response wrong = agent.call("POST", "/api/v1/runs",
            "{\"sessionId\":\"s1\",\"provider\":\"fake-loopback\"}", "not-the-token");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.body()).doesNotContain(agent.token());
        assertThat(runCount()).as("nothing changed").isEqualTo(before);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "malformed JSON            | {\"sessionId\":                                      | 400 | MALFORMED_JSON",
        "array instead of object   | []                                                  | 400 | MALFORMED_JSON",
        "empty body                | ''                                                  | 400 | MALFORMED_JSON",
        "unknown provider          | {\"sessionId\":\"s1\",\"provider\":\"nope\"}        | 400 | UNKNOWN_PROVIDER",
        "unsupported provider      | {\"sessionId\":\"s1\",\"provider\":\"qwen\"}        | 422 | PROVIDER_UNSUPPORTED",
        "missing provider          | {\"sessionId\":\"s1\"}                              | 400 | BAD_REQUEST",
        "provider not a string     | {\"sessionId\":\"s1\",\"provider\":7}               | 400 | BAD_REQUEST",
        "bad session id            | {\"sessionId\":\"../etc\",\"provider\":\"codex\"}   | 400 | BAD_REQUEST",
        "unknown field             | {\"sessionId\":\"s1\",\"provider\":\"codex\",\"x\":1} | 400 | BAD_REQUEST",
    })
    void refusesBadStartRequests(String why, String body, int status, String code) throws Exception {
        int before = runCount();
        AgentFixture.Response r = agent.call("POST", "/api/v1/runs", body, agent.token());
        assertThat(r.status()).as(why + ": " + r.body()).isEqualTo(status);
        assertThat(r.errorCode()).isEqualTo(code);
        assertThat(r.json().getJsonObject("error").getString("message")).isNotBlank();
        assertThat(runCount()).as("nothing changed").isEqualTo(before);
    }

    @Test
    void refusesAnOversizedBody() throws Exception {
        int before = runCount();
        String big = "{\"sessionId\":\"s1\",\"provider\":\"" + "x".repeat(70 * 1024) + "\"}";
        AgentFixture.Response r = agent.call("POST", "/api/v1/runs", big, agent.token());
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.errorCode()).isEqualTo("PAYLOAD_TOO_LARGE");
        assertThat(runCount()).as("nothing changed").isEqualTo(before);
    }

    @Test
    void refusesAWrongContentType() throws Exception {
        int before = runCount();
        var req = java.net.http.HttpRequest.newBuilder(agent.uri("/api/v1/runs"))
            .header("Authorization", "Bearer " + agent.token()).header("Content-Type", "text/plain")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build();
        var r = java.net.http.HttpClient.newHttpClient().send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(415);
        assertThat(runCount()).as("nothing changed").isEqualTo(before);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "GET, /api/v1/runs/nope",
        "GET, /api/v1/runs/nope/events",
        "POST, /api/v1/runs/nope/cancel",
    })
    void answersUnknownRunsWith404(String method, String path) throws Exception {
        AgentFixture.Response r = agent.call(method, path, null, agent.token());
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.errorCode()).isEqualTo("RUN_NOT_FOUND");
    }

    @Test
    void refusesBadCallbackAndCodeBodiesForUnknownRuns() throws Exception {
        assertThat(agent.post("/api/v1/runs/nope/callback", new JsonObject().put("url", "http://localhost:1/x"))
            .errorCode()).isEqualTo("RUN_NOT_FOUND");
        assertThat(agent.call("POST", "/api/v1/runs/nope/code", "{\"code\":5}", agent.token()).errorCode())
            .isEqualTo("BAD_REQUEST");
        assertThat(agent.call("GET", "/api/v1/runs/nope/events?after=-1", null, agent.token()).status())
            .isEqualTo(400);
        assertThat(agent.call("GET", "/api/v1/nothing-here", null, agent.token()).status()).isEqualTo(404);
    }

    @Test
    void refusesAJunkCallbackForALiveRunAndKeepsWaiting() throws Exception {
        agent.startRun("bad-cb", "fake-loopback");
        agent.awaitState("bad-cb", "awaiting_user", 30);
        for (String junk : new String[] {"not a url", "https://evil.example/auth/callback?code=x&state=y",
            "http://localhost:1455/auth/callback?code=x", "file:///etc/passwd"}) {
            AgentFixture.Response r = agent.post("/api/v1/runs/bad-cb/callback", new JsonObject().put("url", junk));
            assertThat(r.status()).as(junk).isEqualTo(400);
        }
        assertThat(agent.run("bad-cb").getString("state")).isEqualTo("awaiting_user");
        agent.post("/api/v1/runs/bad-cb/cancel", null);
    }

    @Test
    void hostileTextBadEncodingAndBrokenFramingAreA400NeverA5xx() throws Exception {
        int before = runCount();
        for (String body : List.of("{\"sessionId\":\"s\\u0000x\",\"provider\":\"fake-loopback\"}",
            "{\"sessionId\":\"s2\",\"provider\":\"fake\\u202eloopback\"}",
            "{\"sessionId\":\"s3\",\"provider\":\"fake-loopback\\ud800\"}")) {
            AgentFixture.Response r = agent.call("POST", "/api/v1/runs", body, agent.token());
            assertThat(r.status()).as(body).isEqualTo(400);
        }
        String auth = "Authorization: Bearer " + agent.token() + "\r\n";
        assertThat(raw("GET /api/v1/runs?%zz=1 HTTP/1.1\r\nHost: x\r\n" + auth + "Connection: close\r\n\r\n"))
            .startsWith("HTTP/1.1 400");
        assertThat(raw("GET /api/v1/runs/x/events?after=%00 HTTP/1.1\r\nHost: x\r\n" + auth
            + "Connection: close\r\n\r\n")).matches("(?s)HTTP/1.1 4\\d\\d.*");
        assertThat(raw("GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(raw("POST /api/v1/runs HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n"
            + "Content-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")).doesNotStartWith("HTTP/1.1 5");
        assertThat(runCount()).as("nothing changed").isEqualTo(before);
    }

    /** The answer's first bytes to a request sent as it is (an HTTP client would refuse to send these). */
    private static String raw(String request) throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", agent.uri("/").getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            byte[] buf = s.getInputStream().readNBytes(200);
            return new String(buf, java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (java.net.SocketTimeoutException e) {
            return "(no answer)";
        }
    }
}
