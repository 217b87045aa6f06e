package dev.loginrelay.controller.vm.qemu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link QemuVmPool} makes VMs from the golden image ({@code snapshot/build.sh}).
 *
 * @param imageDir     {@code rootfs.ext4}, {@code vmlinuz}, {@code initrd.img}, {@code doctor.json},
 *                     {@code manifest.json} (build.sh's out/)
 * @param workDir      one directory per live VM ({@code <workDir>/<vmId>}, deleted on release) and the prepared
 *                     golden snapshots ({@code <workDir>/golden/<key>})
 * @param restore      each VM is a clone restored from a memory snapshot of a booted VM, which the provider makes
 *                     once per image and settings; false = every VM cold-boots the image
 * @param providersDir extra provider specs (and their files) given to every VM through fw_cfg; null = none
 * @param egress       where the guest may connect out to
 * @param accel        {@code kvm}, {@code tcg}, or {@code auto} (KVM when /dev/kvm opens and boots a probe kernel)
 * @param memMb        guest memory
 * @param cpus         guest vCPUs
 * @param startTimeout boot (or restore) until the agent answers
 * @param qemu         {@code qemu-system-x86_64}
 * @param qemuImg      {@code qemu-img}
 * @param warmVms      VMs kept made ahead of the clicks (restored, reseeded and re-keyed, or cold-booted), so a
 *                     click takes one that is ready instead of waiting for a restore; 0 = each VM is made at its
 *                     click
 */
public record QemuPoolConfig(Path imageDir, Path workDir, boolean restore, Path providersDir, QemuEgress egress,
                           String accel, int memMb, int cpus, Duration startTimeout, Path qemu, Path qemuImg,
                           int warmVms) {
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofMinutes(15);

    public QemuPoolConfig {
        imageDir = Objects.requireNonNull(imageDir, "imageDir").toAbsolutePath().normalize();
        workDir = Objects.requireNonNull(workDir, "workDir").toAbsolutePath().normalize();
        providersDir = providersDir == null ? null : providersDir.toAbsolutePath().normalize();
        Objects.requireNonNull(egress, "egress");
        if (!List.of("kvm", "tcg", "auto").contains(accel)) {
            throw new IllegalArgumentException("LOGINRELAY_QEMU_ACCEL must be auto, kvm or tcg, not " + accel);
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
        if (warmVms < 0) {
            throw new IllegalArgumentException("LOGINRELAY_QEMU_WARM_VMS cannot be less than 0, not " + warmVms);
        }
    }

    /**
     * {@code LOGINRELAY_QEMU_IMAGE_DIR} (required), {@code _WORK_DIR} (default {@code <dataDir>/vms}),
     * {@code _RESTORE} (true), {@code _PROVIDERS_DIR}, {@code _EGRESS} (nat), {@code _ACCEL} (auto), {@code _MEM_MB}
     * (1536), {@code _CPUS} (2), {@code _START_TIMEOUT_SECONDS} (900), {@code _BIN}, {@code _IMG_BIN},
     * {@code _WARM_VMS} (1 in restore mode, where one VM kept ready costs its memory; 0 with cold boots, where it
     * would also cost a boot's minutes of CPU at each start). Checks the files exist (blocking, at startup).
     */
    public static QemuPoolConfig fromEnv(Map<String, String> env, Path dataDir) {
        String image = env.get("LOGINRELAY_QEMU_IMAGE_DIR");
        if (image == null || image.isBlank()) {
            throw new IllegalArgumentException(
                "LOGINRELAY_QEMU_IMAGE_DIR is required when LOGINRELAY_VM_PROVIDER=qemu");
        }
        Path imageDir = Path.of(image.strip());
        for (String f : List.of("rootfs.ext4", "vmlinuz", "initrd.img", "doctor.json", "manifest.json")) {
            if (!Files.isRegularFile(imageDir.resolve(f))) {
                throw new IllegalArgumentException("LOGINRELAY_QEMU_IMAGE_DIR " + imageDir + " has no " + f
                    + " (build it with snapshot/build.sh)");
            }
        }
        String providers = env.get("LOGINRELAY_QEMU_PROVIDERS_DIR");
        Path providersDir = providers == null || providers.isBlank() ? null : Path.of(providers.strip());
        if (providersDir != null && !Files.isDirectory(providersDir)) {
            throw new IllegalArgumentException("LOGINRELAY_QEMU_PROVIDERS_DIR " + providersDir + " is not a directory");
        }
        String work = env.get("LOGINRELAY_QEMU_WORK_DIR");
        String accel = env.getOrDefault("LOGINRELAY_QEMU_ACCEL", "auto");
        boolean restore = bool(env, "LOGINRELAY_QEMU_RESTORE", true);
        return new QemuPoolConfig(imageDir, work == null || work.isBlank() ? dataDir.resolve("vms")
            : Path.of(work.strip()), restore, providersDir,
            QemuEgress.parse(env.get("LOGINRELAY_QEMU_EGRESS")), accel.isBlank() ? "auto" : accel.strip(),
            integer(env, "LOGINRELAY_QEMU_MEM_MB", 1536), integer(env, "LOGINRELAY_QEMU_CPUS", 2),
            Duration.ofSeconds(integer(env, "LOGINRELAY_QEMU_START_TIMEOUT_SECONDS",
                (int) DEFAULT_START_TIMEOUT.toSeconds())),
            Path.of(env.getOrDefault("LOGINRELAY_QEMU_BIN", "qemu-system-x86_64")),
            Path.of(env.getOrDefault("LOGINRELAY_QEMU_IMG_BIN", "qemu-img")),
            count(env, "LOGINRELAY_QEMU_WARM_VMS", restore ? 1 : 0));
    }

    /** A VM's directory. */
    Path vmDir(String vmId) {
        return workDir.resolve(vmId);
    }

    private static boolean bool(Map<String, String> env, String key, boolean def) {
        String v = env.get(key);
        if (v == null || v.isBlank()) {
            return def;
        }
        return switch (v.strip()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(key + " must be true or false, not '" + v + "'");
        };
    }

    /** A whole number of at least 0. */
    private static int count(Map<String, String> env, String key, int def) {
        String v = env.get(key);
        if (v == null || v.isBlank()) {
            return def;
        }
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // named below
        }
        throw new IllegalArgumentException(key + " must be a whole number of at least 0, not '" + v + "'");
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
