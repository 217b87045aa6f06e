package dev.loginrelay.controller.dispatch;

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
class QemuVmConfigTest {
    @TempDir
    Path tmp;

    @Test
    void controllerAcceptsTheQemuProvider() {
        assertThat(ControllerConfig.fromEnv(Map.of("LOGINRELAY_VM_PROVIDER", "qemu")).vmProvider()).isEqualTo("qemu");
        assertThatThrownBy(() -> ControllerConfig.fromEnv(Map.of("LOGINRELAY_VM_PROVIDER", "firecracker")))
            .hasMessageContaining("local, static or qemu");
    }

    @Test
    void requiresAnImageDir() {
        assertThatThrownBy(() -> QemuVmConfig.fromEnv(Map.of(), tmp))
            .hasMessageContaining("LOGINRELAY_QEMU_IMAGE_DIR is required");
    }

    @Test
    void rejectsAnImageDirWithoutTheDisk() throws IOException {
        Files.writeString(tmp.resolve("vmlinuz"), "k");
        assertThatThrownBy(() -> QemuVmConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", tmp.toString()), tmp))
            .hasMessageContaining("has no rootfs.ext4");
    }

    @Test
    void coldBootsWithDefaultsWithoutASnapshot() throws IOException {
        Path image = image("k1");
        QemuVmConfig c = QemuVmConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString()), tmp);
        assertThat(c.snapshotDir()).isNull();
        assertThat(c.accel()).isEqualTo("tcg");
        assertThat(c.memMb()).isEqualTo(1536);
        assertThat(c.workDir()).isEqualTo(tmp.resolve("vms"));
        assertThat(c.startTimeout()).isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void restoresWithTheSnapshotsAccelerator() throws IOException {
        Path image = image("k1");
        Path snap = snapshot("k1", "kvm");
        QemuVmConfig c = QemuVmConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString(),
            "LOGINRELAY_QEMU_SNAPSHOT_DIR", snap.toString()), tmp);
        assertThat(c.snapshotDir()).isEqualTo(snap);
        assertThat(c.accel()).as("a restore must use the accelerator the snapshot was saved with").isEqualTo("kvm");
    }

    @Test
    void rejectsASnapshotOfAnotherImage() throws IOException {
        Path image = image("k2");
        Path snap = snapshot("k1", "tcg");
        assertThatThrownBy(() -> QemuVmConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString(),
            "LOGINRELAY_QEMU_SNAPSHOT_DIR", snap.toString()), tmp))
            .hasMessageContaining("was made from image k1");
    }

    @Test
    void rejectsAnUnknownAccelerator() throws IOException {
        Path image = image("k1");
        assertThatThrownBy(() -> QemuVmConfig.fromEnv(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString(),
            "LOGINRELAY_QEMU_ACCEL", "hvf"), tmp)).hasMessageContaining("LOGINRELAY_QEMU_ACCEL must be kvm or tcg");
    }

    private Path image(String key) throws IOException {
        Path d = Files.createDirectories(tmp.resolve("image"));
        for (String f : new String[] {"rootfs.ext4", "vmlinuz", "initrd.img"}) {
            Files.writeString(d.resolve(f), f);
        }
        Files.writeString(d.resolve("manifest.json"), "{\"inputKey\": \"" + key + "\"}");
        return d;
    }

    private Path snapshot(String key, String accel) throws IOException {
        Path d = Files.createDirectories(tmp.resolve("golden"));
        Files.writeString(d.resolve("state.bin"), "s");
        Files.writeString(d.resolve("disk.qcow2"), "d");
        Files.writeString(d.resolve("accel"), accel + "\n");
        Files.writeString(d.resolve("manifest.json"), "{\"inputKey\": \"" + key + "\"}");
        return d;
    }
}
