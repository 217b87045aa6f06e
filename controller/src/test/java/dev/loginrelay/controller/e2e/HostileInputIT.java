package dev.loginrelay.controller.e2e;

import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A property over every endpoint of the shipped controller jar: whatever a client sends (hostile text in every field,
 * query and header, wrong types, bad percent-encoding, broken framing), the answer is never a 5xx, nothing is created,
 * and the controller's log has no ERROR and no stack trace. Requests are generated from a seed
 * ({@code -Dloginrelay.hostile.seed=...} repeats a run) and sent over raw sockets to 127.0.0.1, so nothing cleans
 * them up on the way.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class HostileInputIT {
    private static final Logger log = LoggerFactory.getLogger(HostileInputIT.class);
    private static final int REQUESTS = Integer.getInteger("loginrelay.hostile.requests", 800);
    private static final long SEED = Long.getLong("loginrelay.hostile.seed", System.nanoTime());
    /** Text no field may hold, as JSON escapes (a lone surrogate cannot be sent as UTF-8). */
    private static final List<String> HOSTILE_JSON = List.of("a\\u0000b", "\\u0000", "x\\ud800", "\\udc00y",
        "ab\\u202ecd", "\\u2066id\\u2069", "\\u0007bell", "line\\nbreak", "\\u001b[31mred", "tab\\there", " ",
        "", "\\u200f", "%00", "'; DROP TABLE auth_sessions; --", "../../etc/passwd", "x".repeat(5000));
    private static final List<String> HOSTILE_QUERY = List.of("%00", "%zz", "%", "%u0000", "%ED%A0%80", "%E2%80%AE",
        "%0d%0aSet-Cookie:x", "a%", "%C0%80", "x".repeat(3000), "%FF%FE", "' OR 1=1 --");
    private static final List<String> PATHS = List.of("/api/v1/auth-sessions", "/api/v1/auth-sessions/counts",
        "/api/v1/auth-sessions/{id}", "/api/v1/auth-sessions/{id}/events", "/api/v1/auth-sessions/{id}/timeline",
        "/api/v1/auth-sessions/{id}/callback", "/api/v1/auth-sessions/{id}/code", "/api/v1/auth-sessions/{id}/cancel",
        "/api/v1/providers", "/ui/sessions", "/health", "/metrics", "/api/v1/openapi.json");
    private static final List<String> FIELDS = List.of("provider", "userId", "url", "code", "extra");

    @Test
    void noInputGetsA5xxCreatesAnythingOrLogsAStackTrace(@TempDir Path dir) throws Exception {
        Random random = new Random(SEED);
        try (ControllerProcess c = new ControllerProcess(dir)) {
            Files.writeString(c.providers().resolve("fake-paste.json"),
                FakeCliSpecs.paste("fake-paste", new JsonObject()).encodePrettily());
            c.start(90);
            JsonObject session = new JsonObject(c.call("POST", "/api/v1/auth-sessions", new JsonObject()
                .put("provider", "fake-paste").put("userId", "hostile-owner").encode(), c.apiKey()).body());
            List<String> tokens = new ArrayList<>(List.of(c.apiKey(), c.operatorToken(),
                session.getString("sessionToken"), "", "\u0000", "x".repeat(600)));
            int before = c.sessions().size();
            TreeMap<Integer, Integer> statuses = new TreeMap<>();
            List<String> fiveXx = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                byte[] raw = request(random, c.port, session.getString("id"), tokens);
                int status = send(c.port, raw);
                statuses.merge(status, 1, Integer::sum);
                if (status >= 500) {
                    fiveXx.add(status + " <- " + new String(raw, 0, Math.min(raw.length, 300),
                        StandardCharsets.ISO_8859_1));
                }
            }
            log.info("hostile input: seed={} requests={} statuses={} (0 = closed without an answer)", SEED,
                REQUESTS, statuses);
            assertThat(fiveXx).as("5xx answers (seed %d)", SEED).isEmpty();
            assertThat(c.sessions()).as("sessions after %d hostile requests", REQUESTS).hasSize(before);
            String out = Files.readString(dir.resolve("controller-1.log"));
            assertThat(out.lines().filter(l -> l.contains(" ERROR ") || l.startsWith("\tat ")
                || l.contains("Exception in")).limit(20).toList()).as("ERROR lines and stack traces in the log")
                .isEmpty();
        }
    }

    private static byte[] request(Random r, int port, String id, List<String> tokens) {
        String method = pick(r, List.of("GET", "POST", "POST", "PUT", "DELETE", "GET\u0000", "OPTIONS"));
        String path = pick(r, PATHS).replace("{id}", r.nextInt(4) == 0 ? pick(r, HOSTILE_QUERY) : id);
        StringBuilder query = new StringBuilder();
        if (r.nextBoolean()) {
            for (String p : List.of("provider", "status", "since", "until", "limit", "after", "access_token")) {
                if (r.nextInt(3) == 0) {
                    query.append(query.length() == 0 ? "?" : "&").append(p).append('=').append(pick(r, HOSTILE_QUERY));
                }
            }
            if (r.nextInt(4) == 0) {
                query.append(query.length() == 0 ? "?" : "&").append(pick(r, HOSTILE_QUERY)).append("=1");
            }
        }
        String body = r.nextInt(5) == 0 ? pick(r, List.of("not json", "[1,2]", "{", "null", "{\"provider\":1}",
            "{\"provider\":{\"a\":[]},\"userId\":[null]}", "\u0000", "{\"userId\":" + "9".repeat(400) + "}"))
            : hostileObject(r);
        StringBuilder h = new StringBuilder(method + " " + path + query + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
            + "\r\nConnection: close\r\n");
        String token = pick(r, tokens);
        if (r.nextInt(5) != 0) {
            h.append("Authorization: Bearer ").append(token).append("\r\n");
        }
        if (r.nextBoolean()) {
            h.append("Content-Type: ").append(pick(r, List.of("application/json", "text/plain",
                "application/json; charset=utf-16"))).append("\r\n");
        }
        if (r.nextInt(3) == 0) {
            h.append("Idempotency-Key: ").append(pick(r, List.of("\u202ekey", "k\u0001", "x".repeat(300), "ok-key")))
                .append("\r\n");
        }
        if (r.nextInt(3) == 0) {
            h.append("X-Demo-User: demo-").append(pick(r, List.of("a\u202eb", "ok", "\u0000"))).append("\r\n");
        }
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        int framing = r.nextInt(10);
        if (framing == 0) { // broken chunked encoding
            h.append("Transfer-Encoding: chunked\r\n\r\nzz\r\n").append(body).append("\r\n0\r\n\r\n");
            return h.toString().getBytes(StandardCharsets.UTF_8);
        }
        if (framing == 1) { // two framings at once
            h.append("Content-Length: ").append(b.length).append("\r\nTransfer-Encoding: chunked\r\n\r\n")
                .append(Integer.toHexString(b.length)).append("\r\n").append(body).append("\r\n0\r\n\r\n");
            return h.toString().getBytes(StandardCharsets.UTF_8);
        }
        h.append("Content-Length: ").append(b.length).append("\r\n\r\n");
        byte[] head = h.toString().getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[head.length + b.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(b, 0, all, head.length, b.length);
        return all;
    }

    /** A JSON object whose every field is hostile or the wrong type, so no request can be a valid create. */
    private static String hostileObject(Random r) {
        StringBuilder s = new StringBuilder("{");
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
            String f = pick(r, FIELDS);
            String v = r.nextInt(6) == 0 ? pick(r, List.of("1", "true", "[]", "{}", "null"))
                : "\"" + pick(r, HOSTILE_JSON) + "\"";
            s.append(i == 0 ? "" : ",").append('"').append(f).append("\":").append(v);
        }
        return s.append('}').toString();
    }

    /** The status of the answer, 0 if the connection closed without one. */
    private static int send(int port, byte[] raw) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(raw);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int c;
            while (head.size() < 64 && (c = in.read()) != -1 && c != '\n') {
                head.write(c);
            }
            String line = head.toString(StandardCharsets.ISO_8859_1);
            return line.startsWith("HTTP/1.") && line.length() >= 12 ? Integer.parseInt(line.substring(9, 12)) : 0;
        } catch (SocketTimeoutException e) {
            return 0; // an event stream that stays open, or a body the server still waits for: not an error
        } catch (IOException e) {
            return 0;
        }
    }

    private static String pick(Random r, List<String> from) {
        return from.get(r.nextInt(from.size()));
    }
}
