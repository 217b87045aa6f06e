package dev.loginrelay.controller.vm.qemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The golden base's key: what a clone must share with its snapshot changes it, nothing else does (no VM is started
 * here; {@code QemuProviderIT} boots them).
 */
class QemuGoldenTest {
    @TempDir
    Path tmp;

    @Test
    void theSameSettingsAndBundleGiveTheSameKeyEvenWhenTheFilesWereTouched() throws Exception {
        Path extra = bundle();
        String first = plan(Map.of("LOGINRELAY_QEMU_PROVIDERS_DIR", extra.toString())).key();
        Files.setLastModifiedTime(extra.resolve("x.json"), FileTime.from(Instant.now().plus(Duration.ofHours(3))));
        QemuGolden.Plan again = plan(Map.of("LOGINRELAY_QEMU_PROVIDERS_DIR", extra.toString()));
        assertThat(again.key()).isEqualTo(first);
        assertThat(again.ready()).as("nothing made yet").isFalse();
        assertThat(again.providersTar()).isNotEmptyFile();
    }

    @Test
    void eachSettingAClonesNeedsToShareChangesTheKey() throws Exception {
        Path extra = bundle();
        String base = plan(Map.of()).key();
        assertThat(plan(Map.of("LOGINRELAY_QEMU_MEM_MB", "1024")).key()).isNotEqualTo(base);
        assertThat(plan(Map.of("LOGINRELAY_QEMU_CPUS", "1")).key()).isNotEqualTo(base);
        assertThat(plan(Map.of("LOGINRELAY_QEMU_EGRESS", "none")).key()).isNotEqualTo(base);
        assertThat(plan(Map.of("LOGINRELAY_QEMU_ACCEL", "kvm")).key()).isNotEqualTo(base);
        assertThat(plan(Map.of("LOGINRELAY_QEMU_RESTORE", "false")).key()).isNotEqualTo(base);
        String withBundle = plan(Map.of("LOGINRELAY_QEMU_PROVIDERS_DIR", extra.toString())).key();
        assertThat(withBundle).isNotEqualTo(base);
        Files.writeString(extra.resolve("x.json"), "{\"name\": \"y\"}");
        assertThat(plan(Map.of("LOGINRELAY_QEMU_PROVIDERS_DIR", extra.toString())).key()).isNotEqualTo(withBundle);
        Files.writeString(tmp.resolve("image/manifest.json"), "{\"inputKey\": \"another-build\"}");
        assertThat(plan(Map.of()).key()).as("a new image build").isNotEqualTo(base);
    }

    private QemuGolden.Plan plan(Map<String, String> settings) throws IOException, InterruptedException {
        Path image = tmp.resolve("image");
        if (!Files.isDirectory(image)) {
            Files.createDirectories(image);
            for (String f : new String[] {"rootfs.ext4", "vmlinuz", "initrd.img"}) {
                Files.writeString(image.resolve(f), f);
            }
            Files.writeString(image.resolve("doctor.json"), "{\"providers\": []}");
            Files.writeString(image.resolve("manifest.json"), "{\"inputKey\": \"build-1\"}");
        }
        Map<String, String> env = new HashMap<>(Map.of("LOGINRELAY_QEMU_IMAGE_DIR", image.toString(),
            "LOGINRELAY_QEMU_ACCEL", "tcg", "LOGINRELAY_QEMU_WORK_DIR", tmp.resolve("work").toString()));
        env.putAll(settings);
        return QemuGolden.plan(QemuPoolConfig.fromEnv(env, tmp));
    }

    private Path bundle() throws IOException {
        Path extra = Files.createDirectories(tmp.resolve("extra"));
        Files.writeString(extra.resolve("x.json"), "{\"name\": \"x\"}");
        return extra;
    }
}
