package dev.loginrelay.agent.run;

import dev.loginrelay.agent.config.AgentConfig;
import dev.loginrelay.agent.provider.ProviderCatalog;
import dev.loginrelay.agent.provider.ProviderSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI's environment is built from nothing; its browser opener does nothing on the agent's machine. */
class RunEnvironmentTest {
    @Test
    void cliGetsNoAgentVariablesAndABrowserThatOpensNothing(@TempDir Path dir) throws Exception {
        AgentConfig config = AgentConfig.from(Map.of("PATH", "/usr/bin:/bin",
            "LOGINRELAY_AGENT_TOKEN", "planted-agent-token-4411", "DISPLAY", ":0"), List.of());
        ProviderSpec codex = ProviderCatalog.load(null).find("codex").orElseThrow();
        Path home = dir.resolve("s1/home");

        Map<String, String> env = RunHome.environment(config, home, "s1", codex);

        assertThat(env).containsEntry("HOME", home.toString()).containsEntry("BROWSER", "true")
            .containsEntry("CODEX_HOME", home.resolve(".codex").toString())
            .doesNotContainKeys("LOGINRELAY_AGENT_TOKEN", "DISPLAY");
        assertThat(env.values()).noneMatch(v -> v.contains("planted-agent-token-4411"));
        // What a CLI does with it (xdg-open and Rust's webbrowser run "$BROWSER <url>"): exits 0 at once.
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "exec $BROWSER 'https://auth.example.test/authorize?x=1'");
        pb.environment().clear();
        pb.environment().putAll(env);
        Process opener = pb.redirectErrorStream(true).start();
        assertThat(opener.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(opener.exitValue()).isZero();
        assertThat(new String(opener.getInputStream().readAllBytes())).isEmpty();
    }

    @Test
    void aSpecMaySetItsOwnBrowserToCaptureTheUrl(@TempDir Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("codex-capture.json"),
            "{\"name\": \"codex-capture\", \"extends\": \"codex\", \"env\": {\"BROWSER\": \"${HOME}/capture-url\"}}");
        AgentConfig config = AgentConfig.from(Map.of("PATH", "/usr/bin:/bin"), List.of());
        ProviderSpec spec = ProviderCatalog.load(dir).find("codex-capture").orElseThrow();

        Map<String, String> env = RunHome.environment(config, dir.resolve("home"), "s2", spec);

        assertThat(env).containsEntry("BROWSER", dir.resolve("home/capture-url").toString());
    }
}
