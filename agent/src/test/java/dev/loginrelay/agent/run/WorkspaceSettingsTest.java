package dev.loginrelay.agent.run;

import dev.loginrelay.agent.provider.ProviderCatalog;
import dev.loginrelay.agent.provider.ProviderSpec;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped gemini spec's workspace settings: a workspace without settings gets the sign-in method; the user's
 * own settings keep every value (their sign-in choice too) and only gain what is missing; a file that is not a JSON
 * object is left alone; specs without workspace settings write nothing.
 */
class WorkspaceSettingsTest {
    private static final ProviderCatalog CATALOG = ProviderCatalog.load(null);
    private static final String SETTINGS = ".gemini/settings.json";

    private static ProviderSpec spec(String name) {
        return CATALOG.find(name).orElseThrow();
    }

    private static String selected(Path home) throws Exception {
        return new JsonObject(Files.readString(home.resolve(SETTINGS))).getJsonObject("security")
            .getJsonObject("auth").getString("selectedType");
    }

    @Test
    void writesTheSignInMethodIntoAWorkspaceWithoutSettings(@TempDir Path home) throws Exception {
        assertThat(WorkspaceSettings.apply(home, spec("gemini"))).isEqualTo(1);
        assertThat(selected(home)).isEqualTo("oauth-personal");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve(SETTINGS))))
            .isEqualTo("rw-------");
        assertThat(WorkspaceSettings.apply(home, spec("gemini"))).as("nothing left to add").isZero();
    }

    @Test
    void addsOnlyMissingKeysToTheUsersSettings(@TempDir Path home) throws Exception {
        Files.createDirectories(home.resolve(".gemini"));
        Files.writeString(home.resolve(SETTINGS), "{\"ui\":{\"theme\":\"GitHub\"},\"security\":{\"folderTrust\":"
            + "{\"enabled\":true}}}");
        assertThat(WorkspaceSettings.apply(home, spec("gemini"))).isEqualTo(1);
        JsonObject s = new JsonObject(Files.readString(home.resolve(SETTINGS)));
        assertThat(s.getJsonObject("ui").getString("theme")).isEqualTo("GitHub");
        assertThat(s.getJsonObject("security").getJsonObject("folderTrust").getBoolean("enabled")).isTrue();
        assertThat(selected(home)).isEqualTo("oauth-personal");
    }

    @Test
    void keepsTheUsersOwnChoiceAndLeavesAFileThatIsNotJson(@TempDir Path home) throws Exception {
        Files.createDirectories(home.resolve(".gemini"));
        String mine = "{\"security\":{\"auth\":{\"selectedType\":\"gemini-api-key\"}}}";
        Files.writeString(home.resolve(SETTINGS), mine);
        assertThat(WorkspaceSettings.apply(home, spec("gemini"))).isZero();
        assertThat(Files.readString(home.resolve(SETTINGS))).isEqualTo(mine);
        Files.writeString(home.resolve(SETTINGS), "not json {");
        assertThat(WorkspaceSettings.apply(home, spec("gemini"))).isZero();
        assertThat(Files.readString(home.resolve(SETTINGS))).isEqualTo("not json {");
    }

    @Test
    void specsWithoutWorkspaceSettingsWriteNothing(@TempDir Path home) throws Exception {
        assertThat(WorkspaceSettings.apply(home, spec("copilot"))).isZero();
        assertThat(WorkspaceSettings.apply(home, spec("codex"))).isZero();
        try (var files = Files.list(home)) {
            assertThat(files).isEmpty();
        }
    }
}
