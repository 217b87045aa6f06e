package dev.loginrelay.controller.vm.qemu;

import dev.loginrelay.controller.support.Secret;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One qemu VM in its directory ({@code disk.qcow2} overlay, {@code qmp.sock}, {@code qga.sock}, {@code console.log},
 * {@code qemu.pid}, {@code vm.json}). Blocking; the provider calls it on worker threads. qemu runs daemonized, so a
 * VM outlives a controller restart and {@link #load} finds it again.
 */
final class QemuVm {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration MONITOR_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration QGA_TRY = Duration.ofSeconds(10);
    private static final long POLL_MS = 200;

    /** A running VM: its dir, the host port forwarded to the agent's 7070, qemu's pid. */
    record Running(Path dir, int port, long pid) {
        boolean alive() {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
    }

    private QemuVm() {
    }

    /**
     * What a cold-booted guest reads through fw_cfg, under {@code opt/dev.loginrelay/} ({@code loginrelay-vmconfig}
     * in the image copies each to {@code /run/loginrelay}): the one list of names on the host side.
     */
    enum FwCfg {
        /** The agent's bearer token (required: without it the agent does not start). */
        TOKEN("agent.token"),
        /** {@code LOGINRELAY_AGENT_*} overrides of the image's {@code /etc/loginrelay/agent.env}. */
        AGENT_ENV("agent.env"),
        /** Extra provider specs and their files, unpacked into the agent's providers dir. */
        PROVIDERS("providers.tar");

        static final String PREFIX = "opt/dev.loginrelay/";
        private final String file;

        FwCfg(String file) {
            this.file = file;
        }

        /** The name the guest sees under {@code /sys/firmware/qemu_fw_cfg/by_name/opt/dev.loginrelay/}. */
        String file() {
            return file;
        }

        String option(Path source) {
            return "name=" + PREFIX + file + ",file=" + source;
        }
    }

    /**
     * A cold boot's optional per-VM files besides the token (null = not given): the providers bundle and an
     * {@code agent.env}.
     */
    record GuestFiles(Path providersTar, Path agentEnv) {
        static final GuestFiles NONE = new GuestFiles(null, null);
    }

    /**
     * Starts qemu on a fresh overlay of {@code backing}: the image's {@code rootfs.ext4} for a cold boot, which reads
     * {@code token} (and {@code files}) through fw_cfg, or a golden snapshot's {@code disk.qcow2} with
     * {@code incoming}, waiting for its memory state ({@link #restore}). The agent's port is forwarded to a free
     * 127.0.0.1 port; should something take that port before qemu binds it, another is tried.
     */
    static Running launch(QemuPoolConfig c, String accel, Path dir, Secret token, Path backing, GuestFiles files,
                          boolean incoming) throws IOException, InterruptedException {
        Files.createDirectories(dir.getParent());
        // 0700: the dir holds the token and the monitor sockets, which drive the VM as root would
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tokenFile = dir.resolve("token");
        Files.createFile(tokenFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tokenFile, token.reveal(), StandardCharsets.UTF_8);
        run(List.of(c.qemuImg().toString(), "create", "-q", "-f", "qcow2", "-F",
            backing.toString().endsWith(".qcow2") ? "qcow2" : "raw", "-b", backing.toString(),
            dir.resolve("disk.qcow2").toString()), Duration.ofSeconds(60));
        for (int attempt = 1; ; attempt++) {
            int port = freePort();
            try {
                // -daemonize: returns once qemu is set up
                run(command(c, accel, dir, port, files, incoming), Duration.ofSeconds(60));
            } catch (IOException e) {
                if (attempt < 3 && String.valueOf(e.getMessage()).contains("forwarding rule")) {
                    continue; // the port was taken between our check and qemu's bind
                }
                throw e;
            }
            long pid = Long.parseLong(Files.readString(dir.resolve("qemu.pid")).strip());
            Files.writeString(dir.resolve("vm.json"), new JsonObject().put("port", port).put("pid", pid).encode());
            return new Running(dir, port, pid);
        }
    }

    /**
     * The qemu command line of the VM in {@code dir} (its overlay {@code disk.qcow2}, sockets, console and
     * {@code token} there), the agent's 7070 forwarded to {@code 127.0.0.1:port}: the one copy, for the provider's
     * VMs and {@code QemuTool}'s alike. A cold boot gives the guest its per-VM files through fw_cfg; an
     * {@code incoming} VM waits for a saved state instead (it resumes with the snapshot's, and is re-keyed after).
     */
    static List<String> command(QemuPoolConfig c, String accel, Path dir, int port, GuestFiles files,
                                boolean incoming) {
        List<String> args = new ArrayList<>(List.of(c.qemu().toString(), "-name", "loginrelay-" + dir.getFileName(),
            "-machine", "q35", "-accel", accel, "-cpu", "max", "-smp", Integer.toString(c.cpus()),
            "-m", Integer.toString(c.memMb()), "-display", "none", "-no-user-config", "-nodefaults",
            "-daemonize", "-pidfile", dir.resolve("qemu.pid").toString(),
            "-kernel", c.imageDir().resolve("vmlinuz").toString(),
            "-initrd", c.imageDir().resolve("initrd.img").toString(),
            "-append", "root=/dev/vda rw console=ttyS0 quiet",
            "-drive", "file=" + dir.resolve("disk.qcow2") + ",if=virtio,format=qcow2",
            "-nic", c.egress().nicOptions(port),
            "-device", "virtio-rng-pci",
            "-chardev", "socket,id=qga0,path=" + dir.resolve("qga.sock") + ",server=on,wait=off",
            "-device", "virtio-serial", "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
            "-qmp", "unix:" + dir.resolve("qmp.sock") + ",server=on,wait=off",
            "-serial", "file:" + dir.resolve("console.log")));
        if (incoming) {
            args.addAll(List.of("-incoming", "defer"));
        } else {
            args.addAll(List.of("-fw_cfg", FwCfg.TOKEN.option(dir.resolve("token"))));
            if (files.agentEnv() != null) {
                args.addAll(List.of("-fw_cfg", FwCfg.AGENT_ENV.option(files.agentEnv())));
            }
            if (files.providersTar() != null) {
                args.addAll(List.of("-fw_cfg", FwCfg.PROVIDERS.option(files.providersTar())));
            }
        }
        return args;
    }

    /**
     * Pauses the VM and writes its memory and device state to {@code state} (QMP {@code migrate} to a file), then
     * stops qemu. Its {@code disk.qcow2} is then the disk that goes with the state: clones use it read-only, as the
     * backing file of their own overlays.
     */
    static void save(Running vm, Path state, long deadlineNanos) throws IOException, InterruptedException {
        try (QemuMonitor qmp = QemuMonitor.qmp(vm.dir().resolve("qmp.sock"), MONITOR_TIMEOUT)) {
            qmp.executeObject("stop", null, MONITOR_TIMEOUT);
            qmp.executeObject("migrate", new JsonObject().put("uri", "exec:cat > " + quoted(state)), MONITOR_TIMEOUT);
            while (true) {
                JsonObject m = qmp.executeObject("query-migrate", null, MONITOR_TIMEOUT);
                String status = m.getString("status", "");
                if (status.equals("completed")) {
                    break;
                }
                if (status.equals("failed") || status.equals("cancelled")) {
                    throw new IOException("saving the VM's state failed: " + m.getString("error-desc", status));
                }
                check(deadlineNanos, "saving the VM's state");
                Thread.sleep(POLL_MS);
            }
        }
        kill(vm.dir());
    }

    /**
     * Loads {@code state} into a VM started with {@code incoming}, resumes it, sets its clock, then (guest
     * {@code loginrelay-restored}, secrets on stdin) reseeds its kernel RNG with 64 bytes from this host and gives
     * its agent {@code token}. Until then the clone's RNG is its siblings'. Returns what the hook printed: the
     * clone's first kernel UUID after the reseed.
     */
    static String restore(Running vm, Path state, Secret token, long deadlineNanos)
        throws IOException, InterruptedException {
        try (QemuMonitor qmp = QemuMonitor.qmp(vm.dir().resolve("qmp.sock"), MONITOR_TIMEOUT)) {
            qmp.executeObject("migrate-incoming", new JsonObject().put("uri", "exec:cat " + quoted(state)),
                MONITOR_TIMEOUT);
            while ("inmigrate".equals(qmp.executeObject("query-status", null, MONITOR_TIMEOUT).getString("status"))) {
                check(deadlineNanos, "loading the snapshot");
                Thread.sleep(POLL_MS);
            }
            qmp.executeObject("cont", null, MONITOR_TIMEOUT);
        }
        try (QemuMonitor qga = guestAgent(vm, deadlineNanos)) {
            qga.executeObject("guest-set-time", new JsonObject().put("time",
                System.currentTimeMillis() * 1_000_000L), MONITOR_TIMEOUT);
            byte[] seed = new byte[64];
            RANDOM.nextBytes(seed);
            String stdin = HexFormat.of().formatHex(seed) + "\n" + token.reveal() + "\n";
            JsonObject started = qga.executeObject("guest-exec", new JsonObject()
                .put("path", "/opt/loginrelay/bin/loginrelay-restored").put("arg", new JsonArray())
                .put("capture-output", true)
                .put("input-data", Base64.getEncoder().encodeToString(stdin.getBytes(StandardCharsets.UTF_8))),
                MONITOR_TIMEOUT);
            long pid = started.getLong("pid");
            while (true) {
                JsonObject st = qga.executeObject("guest-exec-status", new JsonObject().put("pid", pid),
                    MONITOR_TIMEOUT);
                if (st.getBoolean("exited", false)) {
                    if (st.getInteger("exitcode", -1) != 0) {
                        throw new IOException("loginrelay-restored failed in the guest (exit " + st.getValue("exitcode")
                            + "): " + decode(st.getString("err-data")));
                    }
                    return decode(st.getString("out-data"));
                }
                check(deadlineNanos, "reseeding and re-keying the clone");
                Thread.sleep(POLL_MS);
            }
        }
    }

    private static QemuMonitor guestAgent(Running vm, long deadlineNanos) throws IOException, InterruptedException {
        while (true) {
            try {
                return QemuMonitor.guestAgent(vm.dir().resolve("qga.sock"), QGA_TRY);
            } catch (IOException e) {
                check(deadlineNanos, "waiting for the guest agent (" + e.getMessage() + ")");
                Thread.sleep(POLL_MS);
            }
        }
    }

    /** The VM in {@code dir} when its qemu still runs. */
    static Optional<Running> load(Path dir) {
        try {
            JsonObject j = new JsonObject(Files.readString(dir.resolve("vm.json")));
            Running r = new Running(dir, j.getInteger("port"), j.getLong("pid"));
            return r.alive() ? Optional.of(r) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Kills qemu (SIGTERM, then SIGKILL after 5 s) and deletes the VM's dir with its overlay. */
    static void destroy(Path dir) throws IOException, InterruptedException {
        kill(dir);
        deleteTree(dir);
    }

    /** Kills the VM's qemu, if it runs: SIGTERM, then SIGKILL after 5 s. */
    static void kill(Path dir) throws InterruptedException {
        Optional<Long> pid = readPid(dir);
        if (pid.isPresent()) {
            Optional<ProcessHandle> ph = ProcessHandle.of(pid.get());
            if (ph.isPresent() && ph.get().info().command().map(cmd -> cmd.contains("qemu")).orElse(true)) {
                ph.get().destroy();
                try {
                    ph.get().onExit().get(5, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                    ph.get().destroyForcibly();
                }
            }
        }
    }

    /** Deletes a directory and everything in it; nothing when it does not exist. */
    static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** The last lines of the guest's serial console, for failure messages. */
    static String consoleTail(Path dir) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("console.log"), StandardCharsets.ISO_8859_1);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
        } catch (IOException e) {
            return "(no console log)";
        }
    }

    private static Optional<Long> readPid(Path dir) {
        try {
            return Optional.of(Long.parseLong(Files.readString(dir.resolve("qemu.pid")).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void run(List<String> cmd, Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(
            new java.io.File("/dev/null"))).start();
        byte[] out = p.getInputStream().readNBytes(8192);
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException(cmd.get(0) + " did not finish within " + timeout.toSeconds() + " s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(cmd.get(0) + " exited with " + p.exitValue() + ": "
                + new String(out, StandardCharsets.UTF_8).strip());
        }
    }

    /** A path as one word for qemu's {@code exec:} migration URI, which runs through {@code /bin/sh -c}. */
    static String quoted(Path p) {
        return "'" + p.toString().replace("'", "'\\''") + "'";
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void check(long deadlineNanos, String what) throws IOException {
        if (System.nanoTime() > deadlineNanos) {
            throw new IOException("timed out " + what);
        }
    }

    private static String decode(String b64) {
        return b64 == null ? "" : new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8).strip();
    }
}
