package dev.loginrelay.agent.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class CliSearchPathTest {
    @TempDir
    Path dir;

    /** A checkout as scripts/run.sh leaves it: snapshot/clis.txt, the agent jar and the installed CLIs. */
    private Path checkout() throws Exception {
        Path root = Files.createDirectories(dir.resolve("repo"));
        Files.createDirectories(root.resolve("snapshot"));
        Files.writeString(root.resolve("snapshot/clis.txt"), "codex @openai/codex 0.169.0 codex\n");
        Files.createDirectories(root.resolve("agent/target/classes"));
        Files.writeString(root.resolve("agent/target/loginrelay-agent.jar"), "");
        Files.createDirectories(root.resolve(".clis/node_modules/.bin"));
        return root;
    }

    @Test
    void searchesConfiguredThenPathThenInstalledThenSystemDirs() {
        List<Path> path = CliSearchPath.of(List.of(Path.of("/opt/clis")), "/home/u/bin:relative::/opt/clis",
            Optional.of(Path.of("/repo/.clis/node_modules/.bin")));
        assertThat(path).as("relative and repeated entries dropped").containsExactly(Path.of("/opt/clis"),
            Path.of("/home/u/bin"), Path.of("/repo/.clis/node_modules/.bin"), Path.of("/usr/local/bin"),
            Path.of("/usr/bin"), Path.of("/bin"));
    }

    @Test
    void systemDirsComeLastEvenWhenPathHoldsThem() {
        assertThat(CliSearchPath.of(List.of(), "/usr/bin:/snap/bin", Optional.empty()))
            .containsExactly(Path.of("/usr/bin"), Path.of("/snap/bin"), Path.of("/usr/local/bin"), Path.of("/bin"));
    }

    @Test
    void findsTheCheckoutsClisFromTheJarOrClassesDir() throws Exception {
        Path root = checkout();
        Path bin = root.resolve(".clis/node_modules/.bin");
        assertThat(CliSearchPath.installed(null, Optional.of(root.resolve("agent/target/loginrelay-agent.jar"))))
            .contains(bin);
        assertThat(CliSearchPath.installed("", Optional.of(root.resolve("agent/target/classes")))).contains(bin);
    }

    @Test
    void installedClisDirWinsOverTheCheckout() throws Exception {
        Path root = checkout();
        Path other = Files.createDirectories(dir.resolve("elsewhere/node_modules/.bin"));
        assertThat(CliSearchPath.installed(dir.resolve("elsewhere").toString(),
            Optional.of(root.resolve("agent/target/loginrelay-agent.jar")))).contains(other);
    }

    @Test
    void findsNothingOutsideACheckoutOrWithoutInstalledClis() throws Exception {
        Path root = checkout();
        Path jar = Files.createDirectories(dir.resolve("opt/loginrelay")).resolve("loginrelay-agent.jar");
        assertThat(CliSearchPath.installed(null, Optional.of(jar))).isEmpty();
        assertThat(CliSearchPath.installed(null, Optional.of(Path.of("/loginrelay-agent.jar")))).isEmpty();
        Files.delete(root.resolve(".clis/node_modules/.bin"));
        assertThat(CliSearchPath.installed(null, Optional.of(root.resolve("agent/target/loginrelay-agent.jar"))))
            .as("no .clis installed yet").isEmpty();
    }

    @Test
    void thisCodeLiesInTheCheckout() {
        Optional<Path> here = CliSearchPath.codeLocation();
        assertThat(here).isPresent();
        assertThat(here.flatMap(CliSearchPath::checkout)).as("code at %s", here.get())
            .hasValueSatisfying(root -> assertThat(root.resolve("snapshot/clis.txt")).isRegularFile());
    }

    @Test
    void configFlagsComeBeforePathAndInstalledClis() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("clis/node_modules/.bin"));
        AgentConfig c = AgentConfig.from(Map.of("PATH", "/home/u/bin", "LOGINRELAY_CLIS_DIR",
            dir.resolve("clis").toString()), List.of("--cli-path", "/opt/a:/opt/b"));
        assertThat(c.runPath()).containsExactly(Path.of("/opt/a"), Path.of("/opt/b"), Path.of("/home/u/bin"), bin,
            Path.of("/usr/local/bin"), Path.of("/usr/bin"), Path.of("/bin"));
        assertThat(c.cliPath()).containsExactly(Path.of("/opt/a"), Path.of("/opt/b"));
    }
}
