package dev.loginrelay.controller.vm.qemu;

import dev.loginrelay.controller.ControllerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The qemu provider's settings: defaults, and failing fast naming the variable (no VM is started here). */
class QemuPoolConfigTest {
    @TempDir
    Path tmp;

    @Test
    void controllerAcceptsTheQemuProvider() {
        assertThat(ControllerConfig.fromEnv(Map.of("LOGINRELAY_VM_PROVIDER", "qemu")).vmProvider()).isEqualTo("qemu");
        assertThatThrownBy(() -> ControllerConfig.fromEnv(Map.of("LOGINRELAY_VM_PROVIDER", "firecracker")))
            .hasMessageContaining("must be one of local, static, qemu, kubernetes, not firecracker");
    }

    @Test
    void requiresAnImageDir() {
        assertThatThrownBy(() -> QemuPoolConfig.fromEnv(Map.of(), tmp))
            .hasMessageContaining("LOGINRELAY_QEMU_IMAGE_DIR is required");
    }

    @Test
    void rejectsAnImageDirWithoutTheDisk() throws IOException {
        Files.writeString(tmp.resolve("vmlinuz"), "k");
        assertThatThrownBy(() -> QemuPoolConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", tmp.toString()), tmp))
            .hasMessageContaining("has no rootfs.ext4");
    }

    @Test
    void restoresClonesWithDefaults() throws IOException {
        Path image = image("k1");
        QemuPoolConfig c = QemuPoolConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString()), tmp);
        assertThat(c.restore()).isTrue();
        assertThat(c.accel()).isEqualTo("auto");
        assertThat(c.memMb()).isEqualTo(1536);
        assertThat(c.cpus()).isEqualTo(2);
        assertThat(c.providersDir()).isNull();
        assertThat(c.egress().spec()).isEqualTo("nat");
        assertThat(c.workDir()).isEqualTo(tmp.resolve("vms"));
        assertThat(c.startTimeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(c.warmVms()).as("one clone kept restored ahead").isEqualTo(1);
    }

    @Test
    void keepsNoVmAheadWithColdBootsUnlessAsked() throws IOException {
        Path image = image("k1");
        assertThat(QemuPoolConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString(),
            "LOGINRELAY_QEMU_RESTORE", "false"), tmp).warmVms()).isZero();
        assertThat(QemuPoolConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString(),
            "LOGINRELAY_QEMU_RESTORE", "false", "LOGINRELAY_QEMU_WARM_VMS", "2"), tmp).warmVms()).isEqualTo(2);
        assertThat(QemuPoolConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString(),
            "LOGINRELAY_QEMU_WARM_VMS", " 0 "), tmp).warmVms()).as("0: restore at the click").isZero();
    }

    @Test
    void rejectsAWarmCountThatIsNotAWholeNumber() throws IOException {
        Path image = image("k1");
        for (String bad : new String[] {"-1", "one", "1.5", "99999999999"}) {
            assertThatThrownBy(() -> QemuPoolConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString(),
                "LOGINRELAY_QEMU_WARM_VMS", bad), tmp)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LOGINRELAY_QEMU_WARM_VMS must be a whole number of at least 0, not '" + bad + "'");
        }
    }

    @Test
    void readsEverySetting() throws IOException {
        Path image = image("k1");
        Path providers = Files.createDirectories(tmp.resolve("extra"));
        QemuPoolConfig c = QemuPoolConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString(),
            "LOGINRELAY_QEMU_RESTORE", "false", "LOGINRELAY_QEMU_PROVIDERS_DIR", providers.toString(),
            "LOGINRELAY_QEMU_EGRESS", "none", "LOGINRELAY_QEMU_ACCEL", "tcg", "LOGINRELAY_QEMU_MEM_MB", "1024",
            "LOGINRELAY_QEMU_CPUS", "1", "LOGINRELAY_QEMU_WORK_DIR", tmp.resolve("w").toString(),
            "LOGINRELAY_QEMU_START_TIMEOUT_SECONDS", "60", "LOGINRELAY_QEMU_WARM_VMS", "3"), tmp);
        assertThat(c.restore()).isFalse();
        assertThat(c.providersDir()).isEqualTo(providers);
        assertThat(c.egress().spec()).isEqualTo("none");
        assertThat(c.accel()).isEqualTo("tcg");
        assertThat(c.memMb()).isEqualTo(1024);
        assertThat(c.cpus()).isEqualTo(1);
        assertThat(c.workDir()).isEqualTo(tmp.resolve("w"));
        assertThat(c.startTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.warmVms()).isEqualTo(3);
    }

    @Test
    void rejectsBadValuesNamingTheVariable() throws IOException {
        Path image = image("k1");
        assertThatThrownBy(() -> QemuPoolConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString(),
            "LOGINRELAY_QEMU_RESTORE", "yes"), tmp))
            .hasMessageContaining("LOGINRELAY_QEMU_RESTORE must be true or false");
        assertThatThrownBy(() -> QemuPoolConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString(),
            "LOGINRELAY_QEMU_PROVIDERS_DIR", tmp.resolve("missing").toString()), tmp))
            .hasMessageContaining("LOGINRELAY_QEMU_PROVIDERS_DIR").hasMessageContaining("is not a directory");
        assertThatThrownBy(() -> QemuPoolConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString(),
            "LOGINRELAY_QEMU_MEM_MB", "lots"), tmp)).hasMessageContaining("LOGINRELAY_QEMU_MEM_MB must be an integer");
        assertThatThrownBy(() -> QemuPoolConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString(),
            "LOGINRELAY_QEMU_EGRESS", "everything"), tmp)).hasMessageContaining("LOGINRELAY_QEMU_EGRESS must be nat");
    }

    @Test
    void rejectsAnImageWithoutItsSelfCheck() throws IOException {
        Path image = image("k1");
        Files.delete(image.resolve("doctor.json"));
        assertThatThrownBy(() -> QemuPoolConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString()), tmp))
            .hasMessageContaining("has no doctor.json");
    }

    @Test
    void rejectsAnUnknownAccelerator() throws IOException {
        Path image = image("k1");
        assertThatThrownBy(() -> QemuPoolConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString(),
            "LOGINRELAY_QEMU_ACCEL", "hvf"), tmp))
            .hasMessageContaining("LOGINRELAY_QEMU_ACCEL must be auto, kvm or tcg");
    }

    private Path image(String key) throws IOException {
        Path d = Files.createDirectories(tmp.resolve("image"));
        for (String f : new String[] {"rootfs.ext4", "vmlinuz", "initrd.img"}) {
            Files.writeString(d.resolve(f), f);
        }
        Files.writeString(d.resolve("doctor.json"), "{\"providers\": []}");
        Files.writeString(d.resolve("manifest.json"), "{\"inputKey\": \"" + key + "\"}");
        return d;
    }
}
