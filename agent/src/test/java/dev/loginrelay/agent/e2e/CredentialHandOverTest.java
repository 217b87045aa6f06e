package dev.loginrelay.agent.e2e;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A ready run's credential files go to the controller once and leave the run's HOME; a workspace agent writes them
 * into its HOME (0600, only the spec's paths), verifies them, and gives them back on removal.
 */
@Timeout(120)
class CredentialHandOverTest {
    @TempDir
    static Path dir;
    static AgentFixture agent;
    static Path approve;
    static Path workspace;

    @BeforeAll
    static void startAgent() throws Exception {
        approve = dir.resolve("approve");
        workspace = dir.resolve("workspace-home");
        agent = new AgentFixture(dir)
            .spec(FakeSpecs.device("fake-device", new JsonObject().put("FAKECLI_APPROVE_FILE", approve.toString())))
            .start(Map.of("LOGINRELAY_AGENT_WORKSPACE_HOME", workspace.toString()));
    }

    @AfterAll
    static void stopAgent() throws Exception {
        agent.close();
    }

    @Test
    void handsAReadyRunsFilesOverOnceAndInstallsThemIntoTheWorkspaceHome() throws Exception {
        agent.startRun("cred-1", "fake-device");
        assertThat(agent.post("/api/v1/runs/cred-1/credentials/take", new JsonObject()).status())
            .as("not ready yet").isEqualTo(409);
        agent.awaitState("cred-1", "awaiting_user", 30);
        Files.writeString(approve, "approve");
        agent.awaitState("cred-1", "ready", 30);
        Path written = agent.home("cred-1").resolve(".fakecli/auth.json");
        byte[] original = Files.readAllBytes(written);

        AgentFixture.Response taken = agent.post("/api/v1/runs/cred-1/credentials/take", new JsonObject());
        assertThat(taken.status()).as(taken.body()).isEqualTo(200);
        JsonArray files = taken.json().getJsonArray("files");
        assertThat(files).hasSize(1);
        assertThat(files.getJsonObject(0).getString("path")).isEqualTo(".fakecli/auth.json");
        assertThat(Base64.getDecoder().decode(files.getJsonObject(0).getString("content"))).isEqualTo(original);
        assertThat(taken.json().getJsonObject("account").getString("email")).isEqualTo("fake.user@example.com");
        assertThat(written).as("deleted from the run's HOME").doesNotExist();
        AgentFixture.Response again = agent.post("/api/v1/runs/cred-1/credentials/take", new JsonObject());
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.body()).contains("already handed over");
        assertThat(agent.eventKinds("cred-1").toString()).doesNotContain("credential");

        JsonArray evil = new JsonArray().add(files.getJsonObject(0).copy().put("path", "../../.bashrc"));
        assertThat(put("fake-device", evil).status()).as("only the spec's paths").isEqualTo(400);
        AgentFixture.Response installed = put("fake-device", files);
        assertThat(installed.status()).as(installed.body()).isEqualTo(200);
        assertThat(installed.json().getBoolean("verified")).as(installed.body()).isTrue();
        Path target = workspace.resolve(".fakecli/auth.json");
        assertThat(Files.readAllBytes(target)).isEqualTo(original);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-------");
        try (var stray = Files.list(target.getParent())) {
            assertThat(stray.map(p -> p.getFileName().toString())).containsExactly("auth.json");
        }

        Files.writeString(target, "{\"refreshed\":true}", StandardCharsets.UTF_8);
        AgentFixture.Response removed = agent.call("DELETE", "/api/v1/workspace/credentials/fake-device", null,
            agent.token());
        assertThat(removed.status()).as(removed.body()).isEqualTo(200);
        assertThat(removed.json().getInteger("removed")).isEqualTo(1);
        assertThat(new String(Base64.getDecoder().decode(removed.json().getJsonArray("files").getJsonObject(0)
            .getString("content")), StandardCharsets.UTF_8)).as("the refreshed copy comes back").contains("refreshed");
        assertThat(target).doesNotExist();
    }

    private static AgentFixture.Response put(String provider, JsonArray files) throws Exception {
        return agent.call("PUT", "/api/v1/workspace/credentials/" + provider,
            new JsonObject().put("files", files).encode(), agent.token());
    }
}
