package dev.loginrelay.agent.provider;

import dev.loginrelay.agent.provider.ProviderSpec.CredentialFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code success.credentialFiles}: a path takes the whole file, {@code {"path", "keys"}} only those top-level keys
 * (the shipped claude spec takes {@code oauthAccount} of {@code .claude.json}); a bad entry fails naming the field.
 */
class SpecParserCredentialFilesTest {
    @Test
    void shippedClaudeTakesItsTokenFileWholeAndOnlyTheAccountOfClaudeJson() {
        ProviderSpec claude = ProviderCatalog.load(null).find("claude").orElseThrow();
        assertThat(claude.success().credentialFiles()).containsExactly(
            CredentialFile.whole(".claude/.credentials.json"),
            new CredentialFile(".claude.json", List.of("oauthAccount")));
        assertThat(claude.success().credentialFiles().get(1).partial()).isTrue();
        assertThat(ProviderCatalog.load(null).find("codex").orElseThrow().success().credentialFiles())
            .allMatch(f -> !f.partial());
    }

    @Test
    void operatorSpecMayNameSeveralKeys(@TempDir Path dir) throws Exception {
        ProviderSpec s = load(dir, "[\"a/token.json\", {\"path\": \"cfg.json\", \"keys\": [\"account\", \"org\"]}]");
        assertThat(s.success().credentialFiles()).containsExactly(CredentialFile.whole("a/token.json"),
            new CredentialFile("cfg.json", List.of("account", "org")));
    }

    @Test
    void refusesBadEntriesNamingTheField(@TempDir Path dir) {
        assertRefused(dir, "[{\"path\": \"c.json\", \"keys\": []}]", "success.credentialFiles[0].keys must be a "
            + "non-empty array");
        assertRefused(dir, "[{\"path\": \"c.json\"}]", "success.credentialFiles[0].keys must be a non-empty array");
        assertRefused(dir, "[\"t.json\", {\"path\": \"c.json\", \"keys\": [1]}]", "success.credentialFiles[1].keys");
        assertRefused(dir, "[{\"path\": \"c.json\", \"keys\": \"oauthAccount\"}]", "success.credentialFiles[0].keys");
        assertRefused(dir, "[{\"keys\": [\"a\"]}]", "success.credentialFiles[0].path is required");
        assertRefused(dir, "[{\"path\": \"c.json\", \"keys\": [\"a\"], \"key\": [\"b\"]}]",
            "success.credentialFiles[0]: unknown key 'key'");
        assertRefused(dir, "[{\"path\": \"c.json\", \"keys\": [\"a\", \"a\"]}]", "must be distinct");
        assertRefused(dir, "[{\"path\": \"c.json\", \"keys\": [\"\"]}]", "must be distinct, non-empty");
        assertRefused(dir, "[{\"path\": \"/etc/c.json\", \"keys\": [\"a\"]}]", "must be relative to HOME");
        assertRefused(dir, "[\"../c.json\"]", "must be relative to HOME");
        assertRefused(dir, "[\"c.json\", {\"path\": \"c.json\", \"keys\": [\"a\"]}]", "names c.json twice");
        assertRefused(dir, "[42]", "success.credentialFiles[0] must be a path or");
    }

    private static void assertRefused(Path dir, String files, String message) {
        assertThatThrownBy(() -> load(dir, files)).as(files).hasMessageContaining("provider spec cf")
            .hasMessageContaining(message);
    }

    private static ProviderSpec load(Path dir, String files) throws Exception {
        Files.writeString(dir.resolve("cf.json"), "{\"name\": \"cf\", \"extends\": \"claude\", \"success\": "
            + "{\"credentialFiles\": " + files + "}}");
        return ProviderCatalog.load(dir).find("cf").orElseThrow();
    }
}
