package dev.loginrelay.controller.dispatch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link QemuVmProvider} makes VMs from the golden image ({@code snapshot/build.sh}, {@code snapshot/boot.sh}).
 *
 * @param imageDir     {@code rootfs.ext4}, {@code vmlinuz}, {@code initrd.img}, {@code doctor.json} (build.sh's out/)
 * @param snapshotDir  a saved booted VM ({@code state.bin} + {@code disk.qcow2}, boot.sh's {@code golden/}): each VM
 *                     is a clone restored from it; null = every VM cold-boots the image
 * @param workDir      one directory per live VM ({@code <workDir>/<vmId>}), deleted on release
 * @param accel        {@code kvm} or {@code tcg}; a restore must use the snapshot's (its {@code accel} file)
 * @param memMb        guest memory; must equal the snapshot's
 * @param cpus         guest vCPUs; must equal the snapshot's
 * @param startTimeout boot (or restore) until the agent answers
 * @param qemu         {@code qemu-system-x86_64}
 * @param qemuImg      {@code qemu-img}
 */
public record QemuVmConfig(Path imageDir, Path snapshotDir, Path workDir, String accel, int memMb, int cpus,
                           Duration startTimeout, Path qemu, Path qemuImg) {
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofMinutes(15);

    public QemuVmConfig {
        imageDir = Objects.requireNonNull(imageDir, "imageDir").toAbsolutePath().normalize();
        snapshotDir = snapshotDir == null ? null : snapshotDir.toAbsolutePath().normalize();
        workDir = Objects.requireNonNull(workDir, "workDir").toAbsolutePath().normalize();
        if (!List.of("kvm", "tcg").contains(accel)) {
            throw new IllegalArgumentException("LOGINRELAY_QEMU_ACCEL must be kvm or tcg, not " + accel);
        }
        if (memMb < 256) {
            throw new IllegalArgumentException("LOGINRELAY_QEMU_MEM_MB cannot be less than 256");
        }
        if (cpus < 1) {
            throw new IllegalArgumentException("LOGINRELAY_QEMU_CPUS cannot be less than 1");
        }
        if (startTimeout.isNegative() || startTimeout.isZero()) {
            throw new IllegalArgumentException("startTimeout must be positive, not " + startTimeout);
        }
        Objects.requireNonNull(qemu, "qemu");
        Objects.requireNonNull(qemuImg, "qemuImg");
    }

    /**
     * {@code LOGINRELAY_QEMU_IMAGE_DIR} (required), {@code _SNAPSHOT_DIR}, {@code _WORK_DIR} (default
     * {@code <dataDir>/vms}), {@code _ACCEL} (default: the snapshot's, else tcg), {@code _MEM_MB} (1536),
     * {@code _CPUS} (2), {@code _START_TIMEOUT_SECONDS} (900). Checks the files exist (blocking, at startup).
     */
    public static QemuVmConfig fromEnv(Map<String, String> env, Path dataDir) {
        String image = env.get("LOGINRELAY_QEMU_IMAGE_DIR");
        if (image == null || image.isBlank()) {
            throw new IllegalArgumentException("LOGINRELAY_QEMU_IMAGE_DIR is required when LOGINRELAY_VM_PROVIDER=qemu");
        }
        Path imageDir = Path.of(image.strip());
        for (String f : List.of("rootfs.ext4", "vmlinuz", "initrd.img")) {
            if (!Files.isRegularFile(imageDir.resolve(f))) {
                throw new IllegalArgumentException("LOGINRELAY_QEMU_IMAGE_DIR " + imageDir + " has no " + f
                    + " (build it with snapshot/build.sh)");
            }
        }
        String snap = env.get("LOGINRELAY_QEMU_SNAPSHOT_DIR");
        Path snapshotDir = snap == null || snap.isBlank() ? null : Path.of(snap.strip());
        String accel = env.get("LOGINRELAY_QEMU_ACCEL");
        if (snapshotDir != null) {
            for (String f : List.of("state.bin", "disk.qcow2")) {
                if (!Files.isRegularFile(snapshotDir.resolve(f))) {
                    throw new IllegalArgumentException("LOGINRELAY_QEMU_SNAPSHOT_DIR " + snapshotDir + " has no " + f
                        + " (make it with snapshot/boot.sh --no-restore)");
                }
            }
            if (accel == null || accel.isBlank()) {
                accel = readOr(snapshotDir.resolve("accel"), "tcg");
            }
            // The snapshot's disk is an overlay of rootfs.ext4: restoring it over another build corrupts the guest.
            String imageKey = inputKey(imageDir.resolve("manifest.json"));
            String snapKey = inputKey(snapshotDir.resolve("manifest.json"));
            if (imageKey == null || !imageKey.equals(snapKey)) {
                throw new IllegalArgumentException("LOGINRELAY_QEMU_SNAPSHOT_DIR " + snapshotDir + " was made from image "
                    + snapKey + ", not from the image in " + imageDir + " (" + imageKey
                    + "); make it again with snapshot/boot.sh --no-restore");
            }
        }
        String work = env.get("LOGINRELAY_QEMU_WORK_DIR");
        return new QemuVmConfig(imageDir, snapshotDir, work == null || work.isBlank() ? dataDir.resolve("vms")
            : Path.of(work.strip()), accel == null || accel.isBlank() ? "tcg" : accel.strip(),
            integer(env, "LOGINRELAY_QEMU_MEM_MB", 1536), integer(env, "LOGINRELAY_QEMU_CPUS", 2),
            Duration.ofSeconds(integer(env, "LOGINRELAY_QEMU_START_TIMEOUT_SECONDS",
                (int) DEFAULT_START_TIMEOUT.toSeconds())),
            Path.of(env.getOrDefault("LOGINRELAY_QEMU_BIN", "qemu-system-x86_64")),
            Path.of(env.getOrDefault("LOGINRELAY_QEMU_IMG_BIN", "qemu-img")));
    }

    /** A VM's directory. */
    Path vmDir(String vmId) {
        return workDir.resolve(vmId);
    }

    private static String inputKey(Path manifest) {
        String json = readOr(manifest, "{}");
        return new io.vertx.core.json.JsonObject(json.isEmpty() ? "{}" : json).getString("inputKey");
    }

    private static String readOr(Path file, String def) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file).strip() : def;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static int integer(Map<String, String> env, String key, int def) {
        String v = env.get(key);
        if (v == null || v.isBlank()) {
            return def;
        }
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, not '" + v + "'", e);
        }
    }
}
