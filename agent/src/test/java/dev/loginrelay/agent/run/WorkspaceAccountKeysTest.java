package dev.loginrelay.agent.run;

import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.provider.ProviderCatalog;
import dev.loginrelay.agent.provider.ProviderSpec.CredentialFile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A credential entry with {@code keys} (the shipped claude spec: {@code oauthAccount} of {@code .claude.json}): the
 * capture takes only those keys, never the rest of the CLI's file; the install merges them into the workspace's own
 * file keeping every other key (or creates it 0600); removal takes out those keys and nothing else.
 */
class WorkspaceAccountKeysTest {
    private static final List<CredentialFile> CLAUDE = ProviderCatalog.load(null).find("claude").orElseThrow()
        .success().credentialFiles();
    private static final String ACCOUNT = "{\"accountUuid\":\"u-1\",\"emailAddress\":\"ada@example.com\","
        + "\"organizationUuid\":\"o-1\"}";
    /** What a login's HOME holds: the account next to the CLI's own state, which must not travel. */
    private static final String LOGIN_CONFIG = "{\"numStartups\":1,\"userID\":\"PRIVATE-ID\",\"oauthAccount\":"
        + ACCOUNT + ",\"projects\":{\"/work\":{\"allowedTools\":[]}}}";

    private static Path login(Path home) throws Exception {
        Files.createDirectories(home.resolve(".claude"));
        Files.writeString(home.resolve(".claude/.credentials.json"), "{\"claudeAiOauth\":{\"accessToken\":\"AT\"}}");
        Files.writeString(home.resolve(".claude.json"), LOGIN_CONFIG);
        return home;
    }

    private static JsonObject entry(JsonArray wire, String path) {
        return wire.stream().map(JsonObject.class::cast).filter(e -> e.getString("path").equals(path)).findFirst()
            .orElseThrow();
    }

    private static String content(JsonObject e) {
        return new String(Base64.getDecoder().decode(e.getString("content")), StandardCharsets.UTF_8);
    }

    @Test
    void takesOnlyTheNamedKeysAndLeavesTheRestOfTheLoginsFile(@TempDir Path dir) throws Exception {
        Path home = login(dir);
        JsonArray wire = CredentialFiles.read(home, CLAUDE);
        JsonObject part = entry(wire, ".claude.json");
        assertThat(new JsonObject(content(part))).isEqualTo(new JsonObject().put("oauthAccount",
            new JsonObject(ACCOUNT)));
        assertThat(content(part)).doesNotContain("PRIVATE-ID").doesNotContain("projects");
        assertThat(part.getJsonArray("keys")).containsExactly("oauthAccount");
        assertThat(part.getString("mode")).isEqualTo("0600");
        assertThat(entry(wire, ".claude/.credentials.json").containsKey("keys")).isFalse();

        assertThat(CredentialFiles.delete(home, CLAUDE)).isEqualTo(2);
        assertThat(home.resolve(".claude/.credentials.json")).doesNotExist();
        JsonObject left = new JsonObject(Files.readString(home.resolve(".claude.json")));
        assertThat(left.fieldNames()).containsExactlyInAnyOrder("numStartups", "userID", "projects");
    }

    @Test
    void refusesToTakeWhenTheKeyIsMissing(@TempDir Path dir) throws Exception {
        Path home = login(dir);
        Files.writeString(home.resolve(".claude.json"), "{\"numStartups\":1}");
        assertThatThrownBy(() -> CredentialFiles.read(home, CLAUDE)).isInstanceOf(ApiException.class)
            .hasMessageContaining(".claude.json").hasMessageContaining("oauthAccount");
        Files.writeString(home.resolve(".claude.json"), "[1]");
        assertThatThrownBy(() -> CredentialFiles.read(home, CLAUDE)).hasMessageContaining("not a JSON object");
    }

    @Test
    void mergesIntoTheUsersFileKeepingEveryOtherKeyAndRemovesOnlyThem(@TempDir Path dir) throws Exception {
        JsonArray wire = CredentialFiles.read(login(dir.resolve("login")), CLAUDE);
        Path ws = Files.createDirectories(dir.resolve("ws"));
        String users = "{\"theme\":\"dark\",\"oauthAccount\":{\"emailAddress\":\"old@example.com\",\"x\":1},"
            + "\"projects\":{\"/home/ada/app\":{\"history\":[\"fix it\"]}},\"numStartups\":42}";
        Files.writeString(ws.resolve(".claude.json"), users);

        assertThat(CredentialFiles.write(ws, wire, CLAUDE)).isEqualTo(2);
        JsonObject merged = new JsonObject(Files.readString(ws.resolve(".claude.json")));
        assertThat(merged.fieldNames()).containsExactly("theme", "oauthAccount", "projects", "numStartups");
        assertThat(merged.getJsonObject("oauthAccount")).as("replaced whole, not mixed")
            .isEqualTo(new JsonObject(ACCOUNT));
        assertThat(merged.getJsonObject("projects")).isEqualTo(new JsonObject(users).getJsonObject("projects"));
        assertThat(merged.getInteger("numStartups")).isEqualTo(42);
        assertThat(merged.containsKey("userID")).as("the login's own state does not travel").isFalse();
        assertThat(dir.resolve("ws").toFile().list()).as("no stray temporary file")
            .containsExactlyInAnyOrder(".claude.json", ".claude");

        JsonArray back = CredentialFiles.readPresent(ws, CLAUDE);
        assertThat(content(entry(back, ".claude.json"))).as("removal hands back the same part")
            .isEqualTo(content(entry(wire, ".claude.json")));
        assertThat(CredentialFiles.delete(ws, CLAUDE)).isEqualTo(2);
        JsonObject after = new JsonObject(Files.readString(ws.resolve(".claude.json")));
        JsonObject expected = new JsonObject(users);
        expected.remove("oauthAccount");
        assertThat(after).isEqualTo(expected);
        assertThat(CredentialFiles.delete(ws, CLAUDE)).as("nothing left to remove").isZero();
        assertThat(CredentialFiles.readPresent(ws, CLAUDE)).isEmpty();
    }

    @Test
    void createsTheFile0600WhenTheWorkspaceHasNone(@TempDir Path dir) throws Exception {
        JsonArray wire = CredentialFiles.read(login(dir.resolve("login")), CLAUDE);
        Path ws = Files.createDirectories(dir.resolve("ws"));
        CredentialFiles.write(ws, wire, CLAUDE);
        Path f = ws.resolve(".claude.json");
        assertThat(new JsonObject(Files.readString(f))).isEqualTo(new JsonObject().put("oauthAccount",
            new JsonObject(ACCOUNT)));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
    }

    @Test
    void refusesPartsWithOtherKeysAndLeavesAFileThatIsNotJson(@TempDir Path dir) throws Exception {
        Path ws = Files.createDirectories(dir.resolve("ws"));
        JsonArray smuggled = new JsonArray().add(new JsonObject().put("path", ".claude.json").put("mode", "0600")
            .put("content", Base64.getEncoder().encodeToString("{\"oauthAccount\":{},\"projects\":{}}"
                .getBytes(StandardCharsets.UTF_8))));
        assertThatThrownBy(() -> CredentialFiles.write(ws, smuggled, CLAUDE)).isInstanceOf(ApiException.class)
            .hasMessageContaining("files[0].content must be a JSON object of some of the keys [oauthAccount]");
        assertThat(ws.resolve(".claude.json")).doesNotExist();

        JsonArray wire = CredentialFiles.read(login(dir.resolve("login")), CLAUDE);
        Files.writeString(ws.resolve(".claude.json"), "not json {");
        assertThatThrownBy(() -> CredentialFiles.write(ws, wire, CLAUDE)).isInstanceOf(ApiException.class)
            .hasMessageContaining("not a JSON object").hasMessageContaining("nothing was installed");
        assertThat(Files.readString(ws.resolve(".claude.json"))).isEqualTo("not json {");
        assertThat(ws.resolve(".claude/.credentials.json")).as("checked before anything is written").doesNotExist();
        assertThat(CredentialFiles.delete(ws, CLAUDE)).isZero();
        assertThat(Files.readString(ws.resolve(".claude.json"))).isEqualTo("not json {");
    }
}
