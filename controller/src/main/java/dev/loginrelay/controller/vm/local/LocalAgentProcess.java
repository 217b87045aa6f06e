package dev.loginrelay.controller.vm.local;

import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.support.Secret;
import dev.loginrelay.controller.support.SecretFiles;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The blocking half of {@link LocalVmPool}: lays out an agent's dir, writes its token (0600) before the start so
 * the controller knows it, starts {@code java -jar loginrelay-agent.jar}, and keeps {@code agent.json}
 * ({@code agentId, pid, startedAt, port}) so a restarted controller can find the agent again. Call off the event loop.
 */
final class LocalAgentProcess {
    static final String RECORD = "agent.json";
    static final String TOKEN = "agent.token";
    static final String PORT = "port";
    static final String LOG = "agent.out";
    /** A small heap and the serial collector: an agent holds one login; many may share the host. */
    private static final List<String> JVM_FLAGS = List.of("-Xmx256m", "-XX:+UseSerialGC");
    private static final List<String> ENV_KEPT = List.of("PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "TMPDIR",
        "LOGINRELAY_LOG_LEVEL");

    private LocalAgentProcess() {
    }

    /** A started agent process, not yet known to listen. */
    record Started(String agentId, Path dir, Secret token, Process process) {
    }

    static Started start(LocalPoolConfig c, String agentId, UUID sessionId) throws IOException {
        requireJar(c);
        Path dir = c.agentDir(agentId);
        Files.createDirectories(dir.getParent());
        // Passable (not listable) by others: an agent running as root gives each login's CLI a Unix user of its own,
        // which must reach its HOME under sessions/. Everything the agent keeps here is 0600 or in 0700 dirs.
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        Files.createFile(dir.resolve(LOG), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
            "rw-------")));
        Files.createDirectories(c.lockDir());
        String token = SecretFiles.randomToken();
        SecretFiles.write(dir.resolve(TOKEN), token);
        List<String> cmd = new ArrayList<>(javaCommand(c));
        cmd.addAll(List.of("--host", "127.0.0.1", "--port", "0", "--port-file", dir.resolve(PORT).toString(),
            "--work-dir", dir.toString(), "--token-file", dir.resolve(TOKEN).toString(),
            "--lock-dir", c.lockDir().toString()));
        cmd.addAll(sharedFlags(c));
        if (!c.prestart().isEmpty()) {
            cmd.addAll(List.of("--prestart", String.join(",", c.prestart())));
        }
        cmd.addAll(List.of("--run-as", c.runAs()));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(LOG).toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        minimalEnv(pb.environment());
        Process p = pb.start();
        writeRecord(dir, new JsonObject().put("agentId", agentId).put("pid", p.pid())
            .put("startedAt", startMillis(p.toHandle()))
            .put("sessionId", sessionId == null ? null : sessionId.toString())
            .put("agentJar", c.agentJar().toString()));
        return new Started(agentId, dir, Secret.of(token), p);
    }

    /** {@code java <flags> -jar <agentJar>}: the start of an agent or doctor command line. */
    static List<String> javaCommand(LocalPoolConfig c) {
        List<String> cmd = new ArrayList<>();
        cmd.add(c.javaBin().toString());
        cmd.addAll(JVM_FLAGS);
        cmd.addAll(List.of("-jar", c.agentJar().toString()));
        return cmd;
    }

    /** {@code --cli-path} and {@code --providers-dir}, when configured. */
    static List<String> sharedFlags(LocalPoolConfig c) {
        List<String> flags = new ArrayList<>();
        if (!c.cliPath().isEmpty()) {
            flags.addAll(List.of("--cli-path", String.join(":", c.cliPath().stream().map(Path::toString).toList())));
        }
        if (c.providersDir() != null) {
            flags.addAll(List.of("--providers-dir", c.providersDir().toString()));
        }
        return flags;
    }

    static void requireJar(LocalPoolConfig c) {
        if (!Files.isRegularFile(c.agentJar()) || !Files.isReadable(c.agentJar())) {
            throw new ApiException(ErrorCode.AGENT_UNAVAILABLE, "the agent jar " + c.agentJar()
                + " does not exist or cannot be read (build it: mvn -pl agent package)");
        }
    }

    /** The agent's environment: what a JVM needs, nothing of the controller's configuration or secrets. */
    static void minimalEnv(Map<String, String> env) {
        Map<String, String> kept = new java.util.HashMap<>();
        ENV_KEPT.forEach(k -> {
            String v = System.getenv(k);
            if (v != null) {
                kept.put(k, v);
            }
        });
        env.clear();
        env.putAll(kept);
    }

    /** Adds the bound port to {@code agent.json} once the agent listens. */
    static void recordPort(Path dir, int port) {
        readRecord(dir).ifPresent(r -> writeRecord(dir, r.put("port", port)));
    }

    /** The agent in {@code dataDir/agents/<agentId>} if its process still runs (same pid and start time). */
    static Optional<LocalAgent> load(LocalPoolConfig c, String agentId) {
        Path dir = c.agentDir(agentId);
        Optional<JsonObject> record = readRecord(dir);
        if (record.isEmpty() || record.get().getLong("pid") == null) {
            return Optional.empty();
        }
        JsonObject r = record.get();
        Optional<ProcessHandle> process = ProcessHandle.of(r.getLong("pid")).filter(ProcessHandle::isAlive)
            .filter(ph -> r.getLong("startedAt") == null || r.getLong("startedAt").equals(startMillis(ph)));
        Integer port = r.getInteger("port", readPort(dir));
        if (process.isEmpty() || port == null || !Files.exists(dir.resolve(TOKEN))) {
            return Optional.empty();
        }
        return Optional.of(new LocalAgent(handle(agentId, port, SecretFiles.read(dir.resolve(TOKEN))), dir,
            process.get()));
    }

    static AgentHandle handle(String agentId, int port, Secret token) {
        return new AgentHandle(agentId, "http://127.0.0.1:" + port, token, agentId, "127.0.0.1");
    }

    /** The port the agent wrote, or null while it has not (or wrote only part of it). */
    static Integer readPort(Path dir) {
        try {
            String s = Files.readString(dir.resolve(PORT), StandardCharsets.UTF_8).strip();
            return s.isEmpty() ? null : Integer.valueOf(s);
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    /** The last few hundred characters the agent printed (its log has no secrets), for a start failure. */
    static String logTail(Path dir) {
        try {
            String s = Files.readString(dir.resolve(LOG), StandardCharsets.UTF_8).strip();
            return s.length() <= 400 ? s : "..." + s.substring(s.length() - 400);
        } catch (IOException e) {
            return "(no output)";
        }
    }

    private static Long startMillis(ProcessHandle ph) {
        return ph.info().startInstant().map(Instant::toEpochMilli).orElse(null);
    }

    static Optional<JsonObject> readRecord(Path dir) {
        try {
            return Optional.of(new JsonObject(Files.readString(dir.resolve(RECORD), StandardCharsets.UTF_8)));
        } catch (IOException | DecodeException e) {
            return Optional.empty();
        }
    }

    private static void writeRecord(Path dir, JsonObject record) {
        try {
            Path tmp = dir.resolve(RECORD + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, record.encodePrettily(), StandardCharsets.UTF_8);
            Files.move(tmp, dir.resolve(RECORD), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(RECORD), e);
        }
    }

    /** A local agent: its handle, dir and process. */
    record LocalAgent(AgentHandle handle, Path dir, ProcessHandle process) {
    }
}
