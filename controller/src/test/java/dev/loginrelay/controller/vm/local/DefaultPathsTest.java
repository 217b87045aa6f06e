package dev.loginrelay.controller.vm.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class DefaultPathsTest {
    @TempDir
    Path dir;

    /** A checkout after scripts/run.sh: both jars and the installed CLIs. */
    private Path checkout() throws Exception {
        Path root = Files.createDirectories(dir.resolve("repo"));
        Files.createDirectories(root.resolve("snapshot"));
        Files.writeString(root.resolve("snapshot/clis.txt"), "codex @openai/codex 0.169.0 codex\n");
        Files.createDirectories(root.resolve("agent/target"));
        Files.writeString(root.resolve("agent/target/loginrelay-agent.jar"), "");
        Files.createDirectories(root.resolve("controller/target/classes"));
        Files.writeString(root.resolve("controller/target/loginrelay-controller.jar"), "");
        Files.createDirectories(root.resolve(".clis/node_modules/.bin"));
        return root;
    }

    @Test
    void findsTheAgentJarAndClisFromTheControllerJarNotTheWorkingDir() throws Exception {
        Path root = checkout();
        for (String here : List.of("controller/target/loginrelay-controller.jar", "controller/target/classes")) {
            Optional<Path> code = Optional.of(root.resolve(here));
            assertThat(DefaultPaths.agentJar(code)).as(here)
                .isEqualTo(root.resolve("agent/target/loginrelay-agent.jar"));
            assertThat(DefaultPaths.cliPath(null, code)).as(here)
                .containsExactly(root.resolve(".clis/node_modules/.bin"));
        }
    }

    @Test
    void prefersTheAgentJarNextToTheControllerJar() throws Exception {
        Path release = Files.createDirectories(dir.resolve("opt/loginrelay"));
        Files.writeString(release.resolve("loginrelay-agent.jar"), "");
        assertThat(DefaultPaths.agentJar(Optional.of(release.resolve("loginrelay-controller.jar"))))
            .isEqualTo(release.resolve("loginrelay-agent.jar"));
        assertThat(DefaultPaths.cliPath(null, Optional.of(release.resolve("loginrelay-controller.jar"))))
            .as("no checkout, no installed CLIs").isEmpty();
    }

    @Test
    void installedClisDirWinsAndAMissingOneIsLeftOut() throws Exception {
        Path root = checkout();
        Optional<Path> code = Optional.of(root.resolve("controller/target/loginrelay-controller.jar"));
        Path other = Files.createDirectories(dir.resolve("clis/node_modules/.bin"));
        assertThat(DefaultPaths.cliPath(dir.resolve("clis").toString(), code)).containsExactly(other);
        assertThat(DefaultPaths.cliPath(dir.resolve("nothing").toString(), code)).isEmpty();
    }

    @Test
    void configurationOverridesTheDefaults() {
        LocalPoolConfig c = LocalPoolConfig.fromEnv(Map.of("LOGINRELAY_AGENT_JAR", "/srv/agent.jar",
            "LOGINRELAY_CLI_PATH", "/srv/clis:/opt/clis"), Path.of("/tmp/data"));
        assertThat(c.agentJar()).isEqualTo(Path.of("/srv/agent.jar"));
        assertThat(c.cliPath()).containsExactly(Path.of("/srv/clis"), Path.of("/opt/clis"));
    }

    @Test
    void theDefaultAgentJarIsThisCheckoutsWhereverTheJvmStarted() {
        Path code = DefaultPaths.codeLocation().orElseThrow();
        Path root = DefaultPaths.checkout(code).orElseThrow(() -> new AssertionError("not a checkout: " + code));
        assertThat(LocalPoolConfig.fromEnv(Map.of(), Path.of("/tmp/data")).agentJar())
            .isEqualTo(root.resolve("agent/target/loginrelay-agent.jar"));
    }
}
