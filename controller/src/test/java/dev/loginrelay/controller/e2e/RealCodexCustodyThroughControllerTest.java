package dev.loginrelay.controller.e2e;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.crypto.RSADecrypter;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.loginrelay.agent.testing.CapturedLogs;
import dev.loginrelay.agent.testing.fakes.FakeCodexIssuer;
import dev.loginrelay.controller.credentials.MasterKeys;
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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * After {@code ready} the login is usable: the real pinned codex device login through the controller goes into
 * custody (encrypted), into the user's workspace (a second real agent) where {@code codex login status} passes,
 * moves between workspaces (one holder at a time), survives a controller restart, exports only sealed, refuses a
 * wrong master key without losing anything, and is revoked. The fake issuer's tokens appear in no row, log line,
 * event or reply.
 */
@Timeout(420)
class RealCodexCustodyThroughControllerTest {
    private static final String PROVIDER = "codex-device-local";
    private static final String USER = "grace";
    private static final String AUTH_JSON = ".codex/auth.json";
    private static final String ONE = "/api/v1/credentials/" + USER + "/" + PROVIDER;

    private final List<String> seen = new ArrayList<>();

    @Test
    void realCodexLoginIsKeptInstalledMovedExportedSealedAndRevoked(@TempDir Path dir) throws Exception {
        assertThat(ControllerFixture.REPO.resolve(".clis/node_modules/.bin/codex")).as("run scripts/install-clis.sh")
            .isExecutable();
        RSAKey product = new RSAKeyGenerator(2048).keyID("product-key-1").generate();
        RSAKey stranger = new RSAKeyGenerator(2048).keyID("product-key-1").generate();
        ListAppender<ILoggingEvent> logs = new CapturedLogs();
        logs.start();
        root().addAppender(logs);
        try (FakeCodexIssuer issuer = FakeCodexIssuer.start().approveAfterPolls(2).email("grace@example.com")
                .plan("team").jwtAccessToken();
             ControllerFixture c = new ControllerFixture(dir.resolve("controller")).spec(new JsonObject()
                 .put("name", PROVIDER).put("extends", "codex-device")
                 .put("command", new JsonArray(List.of("codex", "login", "--device-auth", "--experimental_issuer",
                     issuer.baseUrl())))
                 .put("env", new JsonObject().put("CODEX_HOME", "${HOME}/.codex")
                     .put("HTTPS_PROXY", "http://127.0.0.1:9").put("NO_PROXY", "127.0.0.1,localhost")));
             WorkspaceAgent wsA = new WorkspaceAgent(dir.resolve("ws-a"), dir.resolve("controller/providers"));
             WorkspaceAgent wsB = new WorkspaceAgent(dir.resolve("ws-b"), dir.resolve("controller/providers"));
             WorkspaceAgent other = new WorkspaceAgent(dir.resolve("ws-m"), dir.resolve("controller/providers"))) {
            c.env.put("LOGINRELAY_WORKSPACES", String.join(",", wsA.entry("ws-a", USER), wsB.entry("ws-b", USER),
                other.entry("ws-mallory", "mallory")));
            c.env.put("LOGINRELAY_EXPORT_RECIPIENT", product.toPublicJWK().toJSONString());
            c.start();

            // Another user's workspace is refused before any session exists.
            ControllerFixture.Response refused = c.call("POST", "/api/v1/auth-sessions", new JsonObject()
                .put("provider", PROVIDER).put("userId", USER).put("workspace", "ws-mallory").encode(),
                ControllerFixture.API_KEY);
            assertThat(refused.status()).as(refused.body()).isEqualTo(403);
            assertThat(refused.errorCode()).isEqualTo("WORKSPACE_NOT_YOURS");

            // The real login, targeted at ws-a: ready -> custody -> installed there -> verified by codex itself.
            JsonObject created = c.call("POST", "/api/v1/auth-sessions", new JsonObject().put("provider", PROVIDER)
                .put("userId", USER).put("workspace", "ws-a").encode(), ControllerFixture.API_KEY).json();
            String id = created.getString("id");
            JsonObject ready = c.awaitStatus(id, created.getString("sessionToken"), "ready", 90);
            seen.add(ready.encode());
            JsonObject installed = awaitCredentials(c, "installed", "ws-a");
            assertThat(installed.getJsonObject("account").getString("email")).isEqualTo("grace@example.com");
            assertThat(installed.getString("sourceSessionId")).isEqualTo(id);
            assertThat(installed.getString("expiresAt")).as("the access token's exp").isNotNull();
            JsonObject where = c.call("GET", "/api/v1/auth-sessions/" + id + "/credentials", null,
                created.getString("sessionToken")).json();
            assertThat(where.getString("state")).as("what the Connect page shows").isEqualTo("installed");
            assertThat(where.getString("workspace")).isEqualTo("ws-a");
            seen.add(where.encode());
            byte[] written = Files.readAllBytes(wsA.home.resolve(AUTH_JSON));
            assertThat(new String(written, StandardCharsets.UTF_8)).contains(issuer.refreshToken());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(wsA.home.resolve(AUTH_JSON))))
                .isEqualTo("rw-------");
            assertLoggedIn(wsA);
            JsonArray events = c.call("GET", ONE + "/events", null, ControllerFixture.OPERATOR).json()
                .getJsonArray("events");
            seen.add(events.encode());
            assertThat(kinds(events)).containsSubsequence("captured", "installed");
            assertThat(last(events, "installed").getJsonObject("detail").getBoolean("verified")).isTrue();

            // Sealed export: only the product's private key opens it, and the files are byte-equal.
            assertThat(c.call("GET", ONE, null, ControllerFixture.OPERATOR).status()).isEqualTo(403);
            ControllerFixture.Response export = c.call("GET", ONE, null, ControllerFixture.API_KEY);
            assertThat(export.status()).as(export.body()).isEqualTo(200);
            seen.add(export.body());
            String jwe = export.json().getJsonObject("export").getString("jwe");
            assertThat(fileOf(decrypt(jwe, product), AUTH_JSON)).isEqualTo(written);
            assertThatThrownBy(() -> decrypt(jwe, stranger)).isInstanceOf(JOSEException.class);

            // Installing into ws-b moves them: ws-a no longer holds them.
            install(c, "ws-b");
            assertThat(wsA.home.resolve(AUTH_JSON)).doesNotExist();
            assertThat(Files.readAllBytes(wsB.home.resolve(AUTH_JSON))).isEqualTo(written);
            assertLoggedIn(wsB);
            assertThat(wsA.codexLoginStatus().exitCode()).as("ws-a after the move").isNotZero();

            // A restarted controller still decrypts (the master key is in its data dir) and moves them back.
            c.stopKeepingAgents();
            c.startOn(c.database());
            install(c, "ws-a");
            assertThat(wsB.home.resolve(AUTH_JSON)).doesNotExist();
            assertLoggedIn(wsA);

            // Another master key: a clear refusal, and nothing is lost.
            c.stopKeepingAgents();
            c.env.put("LOGINRELAY_MASTER_KEY", MasterKeys.newKeyText());
            c.startOn(c.database());
            ControllerFixture.Response noKey = c.call("GET", ONE, null, ControllerFixture.API_KEY);
            assertThat(noKey.status()).as(noKey.body()).isEqualTo(500);
            assertThat(noKey.errorCode()).isEqualTo("MASTER_KEY_UNAVAILABLE");
            assertThat(noKey.json().getJsonObject("error").getString("message")).contains(installed.getString("keyId"));
            assertThat(c.call("POST", ONE + "/install", new JsonObject().put("workspace", "ws-b").encode(),
                ControllerFixture.API_KEY).errorCode()).isEqualTo("MASTER_KEY_UNAVAILABLE");
            assertThat(wsA.home.resolve(AUTH_JSON)).exists();
            c.stopKeepingAgents();
            c.env.remove("LOGINRELAY_MASTER_KEY");
            c.startOn(c.database());
            assertThat(c.call("GET", ONE, null, ControllerFixture.API_KEY).status()).isEqualTo(200);

            // Operators see metadata only.
            ControllerFixture.Response list = c.call("GET", "/api/v1/credentials", null, ControllerFixture.OPERATOR);
            assertThat(list.body()).contains("grace@example.com", "ws-a").doesNotContain("ciphertext");
            seen.add(list.body());

            // Revoke: gone from the workspace and from custody.
            ControllerFixture.Response revoked = c.call("DELETE", ONE, null, ControllerFixture.API_KEY);
            assertThat(revoked.status()).as(revoked.body()).isEqualTo(200);
            assertThat(revoked.json().getString("state")).isEqualTo("revoked");
            assertThat(wsA.home.resolve(AUTH_JSON)).doesNotExist();
            assertThat(c.call("GET", ONE, null, ControllerFixture.API_KEY).errorCode())
                .isEqualTo("CREDENTIALS_NOT_FOUND");

            seen.add(c.timeline(id).encode());
            seen.add(c.call("GET", ONE + "/events", null, ControllerFixture.OPERATOR).body());
            seen.addAll(everyRow(c));
            seen.add(pgDump(c));
            logs.list.forEach(e -> seen.add(e.getFormattedMessage()));
            String all = String.join("\n", seen);
            assertThat(all).contains("grace@example.com");
            for (String secret : List.of(issuer.accessToken(), issuer.refreshToken(), issuer.idToken(),
                    Base64.getEncoder().encodeToString(written))) {
                assertThat(all).as("a token leaked").doesNotContain(secret);
            }
        } finally {
            root().detachAppender(logs);
        }
    }

    private void install(ControllerFixture c, String workspace) throws Exception {
        ControllerFixture.Response r = c.call("POST", ONE + "/install", new JsonObject().put("workspace", workspace)
            .encode(), ControllerFixture.API_KEY);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().getBoolean("verified")).as(r.body()).isTrue();
        assertThat(r.json().getString("workspace")).isEqualTo(workspace);
        seen.add(r.body());
    }

    private static void assertLoggedIn(WorkspaceAgent ws) throws Exception {
        WorkspaceAgent.Result status = ws.codexLoginStatus();
        assertThat(status.exitCode()).as(status.output()).isZero();
        assertThat(status.output()).contains("Logged in using ChatGPT");
    }

    private JsonObject awaitCredentials(ControllerFixture c, String state, String workspace) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        String last = null;
        while (System.nanoTime() < deadline) {
            ControllerFixture.Response r = c.call("GET", ONE + "/status", null, ControllerFixture.API_KEY);
            last = r.body();
            if (r.status() == 200 && state.equals(r.json().getString("state"))
                    && workspace.equals(r.json().getString("workspace"))) {
                seen.add(last);
                return r.json();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("credentials not " + state + " in " + workspace + "; last: " + last + "\nevents: "
            + c.call("GET", ONE + "/events", null, ControllerFixture.OPERATOR).body());
    }

    private static JsonObject decrypt(String compact, RSAKey key) throws Exception {
        JWEObject jwe = JWEObject.parse(compact);
        jwe.decrypt(new RSADecrypter(key));
        return new JsonObject(jwe.getPayload().toString());
    }

    private static byte[] fileOf(JsonObject payload, String path) {
        for (Object o : payload.getJsonArray("files")) {
            JsonObject f = (JsonObject) o;
            if (path.equals(f.getString("path"))) {
                return Base64.getDecoder().decode(f.getString("content"));
            }
        }
        throw new AssertionError("no " + path + " in the export");
    }

    private static List<String> kinds(JsonArray events) {
        List<String> k = new ArrayList<>();
        events.forEach(e -> k.add(((JsonObject) e).getString("kind")));
        return k;
    }

    private static JsonObject last(JsonArray events, String kind) {
        JsonObject found = null;
        for (Object e : events) {
            if (kind.equals(((JsonObject) e).getString("kind"))) {
                found = (JsonObject) e;
            }
        }
        return found;
    }

    /** Every column of every table and view in the test schema, as text: what a dump of the database holds. */
    private static List<String> everyRow(ControllerFixture c) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection conn = DriverManager.getConnection(c.database().jdbcUrl(), c.database().user(),
                c.database().password()); Statement st = conn.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT table_name FROM information_schema.tables "
                    + "WHERE table_schema = current_schema()")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            assertThat(tables).contains("credentials", "credential_events", "credential_custody", "auth_sessions");
            for (String t : tables) {
                try (ResultSet rs = st.executeQuery("SELECT t::text FROM \"" + t + "\" t")) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
            }
        }
        return out;
    }

    /**
     * {@code pg_dump} of the test schema, schema and data, when a {@code pg_dump} is installed (Debian's
     * postgresql-client; it dumps older servers too); "" otherwise, leaving {@link #everyRow} as the proof.
     */
    private static String pgDump(ControllerFixture c) throws Exception {
        Path pgDump = Path.of("/usr/bin/pg_dump");
        if (!Files.isExecutable(pgDump)) {
            return "";
        }
        java.net.URI u = java.net.URI.create(c.database().jdbcUrl().substring("jdbc:".length()));
        String schema = null;
        for (String kv : u.getQuery().split("&")) {
            if (kv.startsWith("currentSchema=")) {
                schema = kv.substring("currentSchema=".length());
            }
        }
        ProcessBuilder pb = new ProcessBuilder(pgDump.toString(), "--no-owner", "--schema=" + schema,
            "--host=" + u.getHost(), "--port=" + u.getPort(), "--username=" + c.database().user(),
            "--dbname=" + u.getPath().substring(1)).redirectErrorStream(true);
        if (c.database().password() != null) {
            pb.environment().put("PGPASSWORD", c.database().password());
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("COPY " + schema + ".credentials").contains("grace@example.com");
        return out;
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
