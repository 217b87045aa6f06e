package dev.loginrelay.agent.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentConfigTest {
    @Test
    void defaultsAreLoopbackAndLocalDirs() {
        AgentConfig c = AgentConfig.from(Map.of(), List.of());
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(7070);
        assertThat(c.tokenFile()).isEqualTo(c.workDir().resolve("agent.token"));
        assertThat(c.runPath()).endsWith(Path.of("/usr/local/bin"), Path.of("/usr/bin"), Path.of("/bin"));
    }

    @Test
    void flagsOverrideTheEnvironment() {
        AgentConfig c = AgentConfig.from(Map.of("LOGINRELAY_AGENT_PORT", "9000", "LOGINRELAY_AGENT_CLI_PATH", "/a:/b"),
            List.of("--port", "9001", "--work-dir=/srv/lr"));
        assertThat(c.port()).isEqualTo(9001);
        assertThat(c.workDir()).isEqualTo(Path.of("/srv/lr"));
        assertThat(c.cliPath()).containsExactly(Path.of("/a"), Path.of("/b"));
        assertThat(c.describe()).contains("token=<masked>");
    }

    @Test
    void failsFastNamingTheBadSetting() {
        assertThatThrownBy(() -> AgentConfig.from(Map.of("LOGINRELAY_AGENT_PORT", "http"), List.of()))
            .hasMessageContaining("LOGINRELAY_AGENT_PORT must be an integer");
        assertThatThrownBy(() -> AgentConfig.from(Map.of(), List.of("--port", "70000")))
            .hasMessageContaining("port must be between 0 and 65535");
        assertThatThrownBy(() -> AgentConfig.from(Map.of(), List.of("--prot", "1")))
            .hasMessageContaining("unknown flag --prot");
        assertThatThrownBy(() -> AgentConfig.from(Map.of(), List.of("--port")))
            .hasMessageContaining("needs a value");
    }
}
