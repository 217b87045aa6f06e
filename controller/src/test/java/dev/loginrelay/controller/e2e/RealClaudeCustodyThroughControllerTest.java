package dev.loginrelay.controller.e2e;

import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import dev.loginrelay.agent.testing.net.FakeInternet;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real pinned Claude Code paste login through the controller, targeted at the user's workspace: ready →
 * custody → installed in a second real agent, where {@code claude auth status} (the spec's verify command, and the
 * user's own run of it) reports the account: the tokens file and the {@code oauthAccount} key merged into the user's
 * {@code ~/.claude.json}, whose own keys stay. After revoke the account is gone from both and the status says so.
 * Claude's HTTPS goes to the fake identity provider.
 */
@Timeout(420)
class RealClaudeCustodyThroughControllerTest {
    private static final String PROVIDER = "claude-mitm";
    private static final String USER = "ada";
    private static final String FILE = ".claude/.credentials.json";
    private static final String CONFIG = ".claude.json";
    private static final JsonObject USERS_PROJECTS = new JsonObject().put("/home/ada/app",
        new JsonObject().put("allowedTools", new JsonArray().add("Bash(ls)")));
    private static final String ONE = "/api/v1/credentials/" + USER + "/" + PROVIDER;

    @Test
    void realClaudeLoginIsInstalledIntoTheWorkspaceAndVerifiedThere(@TempDir Path dir) throws Exception {
        loginInstallVerifyRevoke(dir, false);
    }

    /**
     * The same with the login started ahead ({@code LOGINRELAY_LOCAL_PRESTART}, on by default for claude): the
     * warm agent's claude already shows its link before the click, the session takes it (timeline
     * {@code agent.adopted}), and the user's code completes that very login.
     */
    @Test
    void aRealClaudeLoginStartedAheadIsTakenAtTheClickAndInstalledTheSameWay(@TempDir Path dir) throws Exception {
        loginInstallVerifyRevoke(dir, true);
    }

    private static void loginInstallVerifyRevoke(Path dir, boolean ahead) throws Exception {
        assertThat(ControllerFixture.REPO.resolve(".clis/node_modules/.bin/claude")).as("run scripts/install-clis.sh")
            .isExecutable();
        try (FakeInternet net = FakeInternet.start(dir.resolve("net"));
             ControllerFixture c = new ControllerFixture(dir.resolve("controller"))
                 .spec(net.claudeOverlay(PROVIDER));
             WorkspaceAgent ws = new WorkspaceAgent(dir.resolve("ws"), dir.resolve("controller/providers"))) {
            net.idp().email("ada@example.com");
            // the user's own ~/.claude.json; not "dark": claude drops a value equal to its default when it rewrites
            Files.writeString(ws.home.resolve(CONFIG), new JsonObject().put("theme", "light")
                .put("projects", USERS_PROJECTS).encodePrettily());
            Map<String, String> env = new HashMap<>();
            net.claudeOverlay(PROVIDER).getJsonObject("env").forEach(e -> env.put(e.getKey(), (String) e.getValue()));
            c.env.put("LOGINRELAY_WORKSPACES", ws.entry("ws-ada", USER));
            if (ahead) {
                c.env.put("LOGINRELAY_LOCAL_PRESTART", PROVIDER);
            }
            c.start();
            if (ahead) {
                awaitLinkAhead(dir.resolve("controller/data/agents"));
            }
            JsonObject created = c.call("POST", "/api/v1/auth-sessions", new JsonObject().put("provider", PROVIDER)
                .put("userId", USER).put("workspace", "ws-ada").encode(), ControllerFixture.API_KEY).json();
            String id = created.getString("id");
            String token = created.getString("sessionToken");
            JsonObject waiting = c.awaitSession(id, token, v -> v.getString("authUrl") != null
                || v.getBoolean("terminal"), 90);
            assertThat(waiting.getString("expects")).as(waiting.encode()).isEqualTo("code");
            String state = FakeBrowser.stateOf(waiting.getString("authUrl"));
            ControllerFixture.Response pasted = c.post(id, "code", new JsonObject().put("code",
                net.idp().claudeCode() + "#" + state), token);
            assertThat(pasted.status()).as(pasted.body()).isEqualTo(200);
            c.awaitStatus(id, token, "ready", 120);
            List<String> kinds = c.timeline(id).getJsonArray("events").stream().map(o -> ((JsonObject) o).getString("kind")).toList();
            if (ahead) {
                assertThat(kinds).as("the session took the login started ahead")
                    .containsSubsequence("agent.auth_url_ready", "agent.adopted", "agent.code_submitted", "agent.ready");
            } else {
                assertThat(kinds).doesNotContain("agent.adopted");
            }

            JsonObject installed = awaitInstalled(c);
            assertThat(installed.getJsonObject("account").getString("email")).isEqualTo("ada@example.com");
            Path file = ws.home.resolve(FILE);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            String content = Files.readString(file, StandardCharsets.UTF_8);
            JsonArray events = c.call("GET", ONE + "/events", null, ControllerFixture.OPERATOR).json()
                .getJsonArray("events");
            JsonObject install = events.stream().map(JsonObject.class::cast)
                .filter(e -> e.getString("kind").equals("installed")).findFirst().orElseThrow();
            assertThat(install.getJsonObject("detail").getBoolean("verified")).as("claude auth status in the "
                + "workspace: " + install.encode()).isTrue();
            assertThat(install.getJsonObject("detail").getJsonObject("account", new JsonObject()).getString("email"))
                .as("the verify command's word in the workspace: " + install.encode()).isEqualTo("ada@example.com");

            JsonObject config = new JsonObject(Files.readString(ws.home.resolve(CONFIG), StandardCharsets.UTF_8));
            assertThat(config.getJsonObject("oauthAccount").getString("emailAddress")).isEqualTo("ada@example.com");
            assertThat(config.getString("theme")).as("the user's own keys stay").isEqualTo("light");
            assertThat(config.getJsonObject("projects")).isEqualTo(USERS_PROJECTS);
            assertThat(config.getJsonObject("oauthAccount").fieldNames()).as("account metadata, no secret")
                .contains("accountUuid", "organizationUuid").noneMatch(k -> k.matches("(?i).*(token|secret).*"));
            WorkspaceAgent.Result status = ws.cli(List.of("claude", "auth", "status"), env, 60);
            assertThat(status.exitCode()).as(status.output()).isZero();
            assertThat(new JsonObject(status.output().strip()).getString("email")).as("the user's own claude auth "
                + "status in the workspace").isEqualTo("ada@example.com");

            String seen = String.join("\n", events.encode(), installed.encode(), c.timeline(id).encode(),
                config.getJsonObject("oauthAccount").encode());
            int planted = 0;
            for (String secret : net.idp().issuedSecrets()) {
                if (content.contains(secret)) {
                    planted++;
                    assertThat(seen).as("a token leaked (or sits in oauthAccount)").doesNotContain(secret);
                }
            }
            assertThat(planted).as("the issued tokens are in the installed token file").isPositive();
            ControllerFixture.Response revoked = c.call("DELETE", ONE, null, ControllerFixture.API_KEY);
            assertThat(revoked.status()).as(revoked.body()).isEqualTo(200);
            assertThat(file).doesNotExist();
            JsonObject left = new JsonObject(Files.readString(ws.home.resolve(CONFIG), StandardCharsets.UTF_8));
            assertThat(left.containsKey("oauthAccount")).as("revoked: the account leaves the user's file").isFalse();
            assertThat(left.getString("theme")).as("and nothing else does").isEqualTo("light");
            assertThat(left.getJsonObject("projects")).isEqualTo(USERS_PROJECTS);
            WorkspaceAgent.Result after = ws.cli(List.of("claude", "auth", "status"), env, 60);
            assertThat(after.output()).as("claude auth status after revoke").doesNotContain("ada@example.com");
            assertThat(after.exitCode()).as(after.output()).isNotZero();
        }
    }

    /** Until a warm agent's diagnostics show a login started ahead waiting with its link out. */
    static void awaitLinkAhead(Path agents) throws Exception {
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(agents)) {
                try (var logs = Files.find(agents, 3, (p, a) -> p.getFileName().toString().startsWith("ahead-")
                    && p.getFileName().toString().endsWith(".log"))) {
                    for (Path log : logs.toList()) {
                        if (Files.readString(log).contains("kind=awaiting_input")) {
                            return;
                        }
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no login started ahead under " + agents);
    }

    private static JsonObject awaitInstalled(ControllerFixture c) throws Exception {
        long deadline = System.nanoTime() + 90_000_000_000L;
        String last = null;
        while (System.nanoTime() < deadline) {
            ControllerFixture.Response r = c.call("GET", ONE + "/status", null, ControllerFixture.API_KEY);
            last = r.body();
            if (r.status() == 200 && "installed".equals(r.json().getString("state"))) {
                return r.json();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not installed; last: " + last + "\nevents: "
            + c.call("GET", ONE + "/events", null, ControllerFixture.OPERATOR).body());
    }
}
