package dev.loginrelay.controller.vm.qemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code QemuTool}'s command line (what {@code snapshot/boot.sh} and {@code prove.sh} pass it), the provider config
 * it builds, and the browser callback it plays in {@code prove}; no VM is started here.
 */
class QemuToolTest {
    @TempDir
    Path tmp;

    @Test
    void bootTakesTheScriptsOptionsWithDefaults() {
        QemuTool.Options o = QemuTool.parse(List.of("boot", "--image", "/img", "--work", "/w"));
        assertThat(o.command()).isEqualTo(QemuTool.Command.BOOT);
        assertThat(o.image()).isEqualTo(Path.of("/img"));
        assertThat(o.work()).isEqualTo(Path.of("/w"));
        assertThat(o.timeout()).isEqualTo(Duration.ofSeconds(900));
        assertThat(o.restore()).isTrue();
        assertThat(o.reuse()).isFalse();
        assertThat(o.keep()).isFalse();
        assertThat(o.agentEnv()).isNull();

        o = QemuTool.parse(List.of("boot", "--work", "/w", "--image", "/img", "--timeout", "60", "--no-restore",
            "--reuse", "--keep", "--agent-env", "/w/agent.env"));
        assertThat(o.timeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(o.restore()).isFalse();
        assertThat(o.reuse()).isTrue();
        assertThat(o.keep()).isTrue();
        assertThat(o.agentEnv()).isEqualTo(Path.of("/w/agent.env"));
    }

    @Test
    void proveNeedsTheFakeCliAndTakesTheBuildTime() {
        QemuTool.Options o = QemuTool.parse(List.of("prove", "--image", "/img", "--work", "/w", "--fake-cli",
            "/repo/fake-loopback.js", "--build-ms", "0"));
        assertThat(o.command()).isEqualTo(QemuTool.Command.PROVE);
        assertThat(o.fakeCli()).isEqualTo(Path.of("/repo/fake-loopback.js"));
        assertThat(o.buildMs()).isZero();
        assertThat(QemuTool.parse(List.of("prove", "--image", "/i", "--work", "/w", "--fake-cli", "f")).buildMs())
            .as("no build run").isNull();
        assertThatThrownBy(() -> QemuTool.parse(List.of("prove", "--image", "/img", "--work", "/w")))
            .hasMessageContaining("prove needs --fake-cli FILE");
    }

    @Test
    void rejectsWhatItDoesNotKnowNamingIt() {
        assertThatThrownBy(() -> QemuTool.parse(List.of())).hasMessageContaining("a command is required");
        assertThatThrownBy(() -> QemuTool.parse(List.of("restore", "--image", "/i")))
            .hasMessageContaining("unknown command 'restore'");
        assertThatThrownBy(() -> QemuTool.parse(List.of("boot", "--image", "/i", "--work", "/w", "--fast")))
            .hasMessageContaining("unknown argument '--fast'");
        assertThatThrownBy(() -> QemuTool.parse(List.of("boot", "--work", "/w", "--image")))
            .hasMessageContaining("--image needs a value");
        assertThatThrownBy(() -> QemuTool.parse(List.of("boot", "--image", "--work", "/w")))
            .hasMessageContaining("--image needs a value");
        assertThatThrownBy(() -> QemuTool.parse(List.of("boot", "--image", "/i")))
            .hasMessageContaining("--image DIR and --work DIR are required");
        assertThatThrownBy(() -> QemuTool.parse(List.of("boot", "--image", "/i", "--work", "/w", "--timeout", "0")))
            .hasMessageContaining("--timeout must be a whole number of at least 1, not '0'");
        assertThatThrownBy(() -> QemuTool.parse(List.of("boot", "--image", "/i", "--work", "/w", "--timeout", "9m")))
            .hasMessageContaining("not '9m'");
        assertThatThrownBy(() -> QemuTool.parse(List.of("boot", "--image", "/i", "--work", "/w", "--fake-cli", "f")))
            .hasMessageContaining("--fake-cli is for prove only");
        assertThatThrownBy(() -> QemuTool.parse(List.of("prove", "--image", "/i", "--work", "/w", "--fake-cli", "f",
            "--keep"))).hasMessageContaining("--keep is for boot only");
    }

    @Test
    void theVmsAreTheProvidersWithTheImageWorkDirAndTimeoutGiven() throws IOException {
        Path image = image();
        QemuTool.Options o = QemuTool.parse(List.of("boot", "--image", image.toString(), "--work",
            tmp.resolve("w").toString(), "--timeout", "120"));
        QemuPoolConfig c = QemuTool.config(o, Map.of("LOGINRELAY_QEMU_ACCEL", "tcg", "LOGINRELAY_QEMU_MEM_MB", "1024",
            "LOGINRELAY_QEMU_IMAGE_DIR", "/elsewhere", "LOGINRELAY_QEMU_PROVIDERS_DIR", tmp.toString()));
        assertThat(c.imageDir()).isEqualTo(image);
        assertThat(c.workDir()).isEqualTo(tmp.resolve("w"));
        assertThat(c.startTimeout()).isEqualTo(Duration.ofSeconds(120));
        assertThat(c.accel()).isEqualTo("tcg");
        assertThat(c.memMb()).isEqualTo(1024);
        assertThat(c.cpus()).isEqualTo(2);
        assertThat(c.egress().spec()).isEqualTo("nat");
        assertThat(c.providersDir()).as("prove packs its own bundle; boot gives none").isNull();
        assertThatThrownBy(() -> QemuTool.config(QemuTool.parse(List.of("boot", "--image", tmp.resolve("nope")
            .toString(), "--work", "/w")), Map.of())).hasMessageContaining("has no rootfs.ext4");
        assertThatThrownBy(() -> QemuTool.config(o, Map.of("LOGINRELAY_QEMU_ACCEL", "hvf")))
            .hasMessageContaining("LOGINRELAY_QEMU_ACCEL must be auto, kvm or tcg, not hvf");
    }

    @Test
    void playsTheBrowsersCallbackToTheRedirectUriWithTheSameState() {
        QemuTool.Callback cb = QemuTool.callback("https://auth.example.test/oauth/authorize?response_type=code"
            + "&client_id=app&redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback&code_challenge=c"
            + "&state=9_gGM6v-xY");
        assertThat(cb.state()).isEqualTo("9_gGM6v-xY");
        assertThat(cb.url()).isEqualTo("http://localhost:1455/auth/callback?code=good-code&state=9_gGM6v-xY");
        assertThatThrownBy(() -> QemuTool.callback("https://auth.example.test/oauth/authorize?state=s"))
            .hasMessageContaining("no state or redirect_uri");
    }

    private Path image() throws IOException {
        Path image = Files.createDirectories(tmp.resolve("image"));
        for (String f : new String[] {"rootfs.ext4", "vmlinuz", "initrd.img", "doctor.json", "manifest.json"}) {
            Files.writeString(image.resolve(f), "{}");
        }
        return image;
    }
}
