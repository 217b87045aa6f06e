package dev.loginrelay.agent.run;

import dev.loginrelay.agent.provider.ProviderSpec;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class IdentityReaderTest {
    /** The shape GitHub Copilot CLI 1.0.102 writes to ~/.copilot/config.json (token shortened). */
    private static final String COPILOT_CONFIG = """
        // User settings belong in settings.json.
        // This file is managed automatically.
        {
          "authTokens": {
            "https://github.com:octo-fake": {
              "token": "gho_secretTokenValue"
            }
          },
          "lastLoggedInUser": {
            "host": "https://github.com",
            "login": "octo-fake"
          }
        }
        """;

    @TempDir
    Path home;

    @Test
    void readsAFileThatStartsWithCommentLines() throws Exception {
        Files.createDirectories(home.resolve(".copilot"));
        Files.writeString(home.resolve(".copilot/config.json"), COPILOT_CONFIG);
        ProviderSpec.Identity id = new ProviderSpec.Identity("file", ".copilot/config.json", null,
            Map.of("login", "/lastLoggedInUser/login", "host", "/lastLoggedInUser/host"));

        JsonObject account = IdentityReader.read(id, home, null);

        assertThat(account).isEqualTo(new JsonObject().put("login", "octo-fake").put("host", "https://github.com"));
        assertThat(account.encode()).doesNotContain("gho_");
    }

    @Test
    void keepsSlashesInsideValues() {
        String json = "{\n  \"url\": \"https://github.com//x\",\n  // a comment\n  \"n\": \"//not a comment\"\n}";

        assertThat(new JsonObject(IdentityReader.withoutCommentLines(json)).getString("n")).isEqualTo("//not a comment");
    }
}
