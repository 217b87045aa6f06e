package dev.loginrelay.agent.provider;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProviderCatalogTest {
    @Test
    void shipsTheSpecsWrittenFromTheLoginFlowFacts() {
        ProviderCatalog c = ProviderCatalog.load(null);
        assertThat(c.all()).extracting(ProviderSpec::name)
            .containsExactly("codex", "codex-device", "claude", "gemini", "copilot", "qwen");
        ProviderSpec codex = c.find("codex").orElseThrow();
        assertThat(codex.command()).containsExactly("codex", "login");
        assertThat(codex.relay()).isEqualTo(ProviderSpec.RelayMode.LOOPBACK_CALLBACK);
        assertThat(codex.exclusive()).isNotNull();
        assertThat(codex.success().verifyCommand()).containsExactly("codex", "login", "status");
        assertThat(c.find("gemini").orElseThrow().success().endProcessOnCredentials()).isTrue();
        assertThat(c.find("claude").orElseThrow().code().stateSeparator()).isEqualTo("#");
        ProviderSpec qwen = c.find("qwen").orElseThrow();
        assertThat(qwen.supported()).isFalse();
        assertThat(qwen.unsupportedReason()).contains("no OAuth");
    }

    @Test
    void operatorSpecsAddAndOverrideAndExtend(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.json"), """
            {"name": "codex-staging", "extends": "codex-device",
             "command": ["codex", "login", "--device-auth", "--experimental_issuer", "http://127.0.0.1:9"],
             "timeouts": {"userSeconds": 5}}""");
        Files.writeString(dir.resolve("b.json"), """
            {"name": "qwen", "supported": false, "unsupportedReason": "operators say no"}""");
        ProviderCatalog c = ProviderCatalog.load(dir);
        ProviderSpec s = c.find("codex-staging").orElseThrow();
        assertThat(s.command()).endsWith("http://127.0.0.1:9");
        assertThat(s.timeouts().userSeconds()).isEqualTo(5);
        assertThat(s.timeouts().startSeconds()).as("merged from the parent").isEqualTo(60);
        assertThat(s.detect().userCode()).isNotNull();
        assertThat(c.find("qwen").orElseThrow().unsupportedReason()).isEqualTo("operators say no");
    }

    @Test
    void refusesABadSpecNamingTheFileAndField(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("bad.json"), """
            {"name": "bad", "command": ["x"], "relay": "carrier_pigeon"}""");
        assertThatThrownBy(() -> ProviderCatalog.load(dir)).hasMessageContaining("bad")
            .hasMessageContaining("relay must be");
        Files.writeString(dir.resolve("bad.json"), """
            {"name": "bad", "extends": "codex", "detect": {"authUrl": "(unclosed"}}""");
        assertThatThrownBy(() -> ProviderCatalog.load(dir)).hasMessageContaining("detect.authUrl");
        Files.writeString(dir.resolve("bad.json"), """
            {"name": "bad", "extends": "codex", "comand": ["typo"]}""");
        assertThatThrownBy(() -> ProviderCatalog.load(dir)).hasMessageContaining("unknown key 'comand'");
        Files.writeString(dir.resolve("bad.json"), "{not json");
        assertThatThrownBy(() -> ProviderCatalog.load(dir)).hasMessageContaining("not valid JSON");
    }
}
