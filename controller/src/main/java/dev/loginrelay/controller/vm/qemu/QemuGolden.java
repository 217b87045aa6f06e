package dev.loginrelay.controller.vm.qemu;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What every VM of one provider is made from, prepared once and kept under {@code <workDir>/golden/<key>}: the
 * per-VM providers bundle ({@code providers.tar}), the agents' self-check ({@code doctor.json}), and in restore mode
 * the golden memory snapshot ({@code state.bin} + {@code disk.qcow2}: a VM cold-booted from the image with the agent
 * up, paused and saved). The key covers everything a clone must share with its snapshot: the image build, the
 * accelerator, memory, vCPUs, the network and the bundle; a changed setting or a new image gets a new snapshot, an
 * unchanged one is found again after a restart. A snapshot is made on the host that uses it: it restores only under
 * the accelerator (and with KVM the CPU) it was saved with. Blocking; called on worker threads.
 */
final class QemuGolden {
    private static final String FORMAT = "1";

    /**
     * A prepared base. {@code providersTar} is null without extra providers; {@code state} and {@code disk} are null
     * in cold-boot mode.
     */
    record Base(Path dir, String key, String accel, Path providersTar, JsonObject doctor, Path state, Path disk) {
        boolean snapshot() {
            return state != null;
        }
    }

    /** The plan for a base: where it goes and whether it is there already. */
    record Plan(Path dir, String key, String accel, Path providersTar) {
        boolean ready() {
            return Files.isRegularFile(dir.resolve("golden.json"));
        }
    }

    private QemuGolden() {
    }

    /**
     * Resolves the accelerator, packs the providers bundle (deterministically, so its hash is its content's) and
     * works out the key. The bundle is written to {@code <workDir>/golden/.providers-*.tar}; {@link #finish} moves
     * it into the base.
     */
    static Plan plan(QemuPoolConfig c) throws IOException, InterruptedException {
        Path golden = Files.createDirectories(c.workDir().resolve("golden"));
        String accel = accel(c);
        Path tar = null;
        String tarHash = "-";
        if (c.providersDir() != null) {
            tar = Files.createTempFile(golden, ".providers-", ".tar");
            pack(c.providersDir(), tar);
            tarHash = sha256(Files.readAllBytes(tar));
        }
        String manifest = Files.readString(c.imageDir().resolve("manifest.json"));
        String imageKey = new JsonObject(manifest).getString("inputKey",
            sha256(manifest.getBytes(StandardCharsets.UTF_8)));
        String key = sha256(String.join("\n", FORMAT, imageKey, accel, Integer.toString(c.memMb()),
            Integer.toString(c.cpus()), c.egress().spec(), tarHash, Boolean.toString(c.restore()))
            .getBytes(StandardCharsets.UTF_8)).substring(0, 16);
        Path dir = golden.resolve(key);
        if (tar != null && Files.isRegularFile(dir.resolve("providers.tar"))) {
            Files.delete(tar);
            tar = dir.resolve("providers.tar");
        }
        return new Plan(dir, key, accel, tar);
    }

    /**
     * Packs a providers dir into the bundle a cold boot gives the guest through fw_cfg; deterministically (names
     * sorted, times and owners zeroed), so its hash is its content's.
     */
    static void pack(Path providersDir, Path tar) throws IOException, InterruptedException {
        run(List.of("tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner",
            "-C", providersDir.toString(), "-cf", tar.toString(), "."), 60);
    }

    /** The base {@code plan} found ready on disk. */
    static Base load(Plan plan) throws IOException {
        Path dir = plan.dir();
        JsonObject doctor = new JsonObject(Files.readString(dir.resolve("doctor.json")));
        boolean snapshot = Files.isRegularFile(dir.resolve("state.bin"));
        return new Base(dir, plan.key(), plan.accel(), Files.isRegularFile(dir.resolve("providers.tar"))
            ? dir.resolve("providers.tar") : null, doctor, snapshot ? dir.resolve("state.bin") : null,
            snapshot ? dir.resolve("disk.qcow2") : null);
    }

    /**
     * Completes a base from its source VM, cold-booted into {@code <work>/src} and answering: saves the VM's state
     * when {@code snapshot} (else just stops it), writes the self-check and the record, and moves the whole into
     * place. Another replica that finished the same base first wins; bases of other keys are deleted.
     */
    static Base finish(Plan plan, Path work, QemuVm.Running src, JsonObject doctor, boolean snapshot,
                       long deadlineNanos, JsonObject record) throws IOException, InterruptedException {
        if (snapshot) {
            QemuVm.save(src, work.resolve("state.bin"), deadlineNanos);
            Files.move(src.dir().resolve("disk.qcow2"), work.resolve("disk.qcow2"));
        }
        QemuVm.destroy(src.dir());
        if (plan.providersTar() != null && !plan.providersTar().startsWith(plan.dir())) {
            Files.move(plan.providersTar(), work.resolve("providers.tar"));
        }
        Files.writeString(work.resolve("doctor.json"), doctor.encodePrettily());
        Files.writeString(work.resolve("golden.json"), record.encodePrettily());
        try {
            Files.move(work, plan.dir(), StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
            QemuVm.deleteTree(work); // made meanwhile by another replica on this host
        }
        deleteOthers(plan);
        return load(plan);
    }

    /** A fresh directory to build {@code plan}'s base in (renamed into place when done). */
    static Path workDir(Plan plan) throws IOException {
        return Files.createTempDirectory(plan.dir().getParent(), plan.key() + ".tmp-");
    }

    /** Deletes what a failed preparation left: its work dir and its bundle. */
    static void abandon(Plan plan, Path work) throws IOException, InterruptedException {
        if (work != null) {
            QemuVm.destroy(work.resolve("src"));
            QemuVm.deleteTree(work);
        }
        if (plan.providersTar() != null && !plan.providersTar().startsWith(plan.dir())) {
            Files.deleteIfExists(plan.providersTar());
        }
    }

    /**
     * Deletes the bases of other keys, and what crashed preparations left (work dirs and bundles over an hour old
     * whose source VM no longer runs). Clones still running on a deleted base keep its open files.
     */
    private static void deleteOthers(Plan plan) throws IOException, InterruptedException {
        Instant stale = Instant.now().minus(Duration.ofHours(1));
        try (Stream<Path> all = Files.list(plan.dir().getParent())) {
            for (Path p : all.toList()) {
                String n = p.getFileName().toString();
                if (p.equals(plan.dir())) {
                    continue;
                }
                if (Files.isDirectory(p) && n.matches("[0-9a-f]{16}")) {
                    QemuVm.deleteTree(p);
                } else if (n.matches("([0-9a-f]{16}\\.tmp-|\\.providers-|\\.kvm-probe-).*")
                    && Files.getLastModifiedTime(p).toInstant().isBefore(stale)
                    && QemuVm.load(p.resolve("src")).isEmpty()) {
                    QemuVm.destroy(p.resolve("src"));
                    QemuVm.deleteTree(p);
                }
            }
        }
    }

    /**
     * {@code kvm} or {@code tcg} as configured; for {@code auto}, KVM when /dev/kvm opens and a probe kernel boots on
     * it within 20 s (on some hosts /dev/kvm exists but a guest does not boot), software emulation otherwise.
     */
    static String accel(QemuPoolConfig c) throws IOException, InterruptedException {
        if (!c.accel().equals("auto")) {
            return c.accel();
        }
        Path kvm = Path.of("/dev/kvm");
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            return "tcg";
        }
        Path probe = Files.createTempDirectory(c.workDir().resolve("golden"), ".kvm-probe-");
        Process p = new ProcessBuilder(c.qemu().toString(), "-accel", "kvm", "-m", "256", "-display", "none",
            "-no-reboot", "-no-user-config", "-nodefaults", "-kernel", c.imageDir().resolve("vmlinuz").toString(),
            "-initrd", c.imageDir().resolve("initrd.img").toString(),
            "-append", "console=ttyS0 panic=-1 root=/dev/null",
            "-serial", "file:" + probe.resolve("console"))
            .redirectErrorStream(true).redirectOutput(probe.resolve("out").toFile()).start();
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < end && p.isAlive()) {
                Path console = probe.resolve("console");
                if (Files.exists(console) && Files.readString(console, StandardCharsets.ISO_8859_1)
                        .contains("Run /init as init process")) {
                    return "kvm";
                }
                Thread.sleep(250);
            }
            return "tcg";
        } finally {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            QemuVm.deleteTree(probe);
        }
    }

    private static void run(List<String> cmd, int seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readNBytes(8192);
        if (!p.waitFor(seconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd.subList(0, 1)) + " failed: "
                + new String(out, StandardCharsets.UTF_8).strip());
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
