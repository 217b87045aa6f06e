package dev.loginrelay.agent.run;

import dev.loginrelay.agent.support.Redact;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Per-session diagnostics files ({@code <logDir>/<sessionId>.log}) of redacted lifecycle events, in the spirit of
 * Codex's own {@code codex-login.log}: one line per event, URLs reduced to scheme/host/path, never raw terminal
 * output. Writes go through one background thread so the event loop never touches the disk.
 */
final class DiagnosticsLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DiagnosticsLog.class);
    private final Path dir;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "diagnostics-writer");
        t.setDaemon(true);
        return t;
    });

    DiagnosticsLog(Path dir) {
        this.dir = dir;
    }

    Path fileOf(String runId) {
        return dir.resolve(runId + ".log");
    }

    void write(String runId, RunEvent e) {
        String line = e.at() + " seq=" + e.seq() + " kind=" + e.kind().wireName() + " state=" + e.state().wireName()
            + " " + redacted(e.detail()) + "\n";
        writer.execute(() -> append(fileOf(runId), line));
    }

    /** An error code (CREDENTIALS_MISSING, STATE_MISMATCH): upper snake case, never a secret, kept as it is. */
    private static final java.util.regex.Pattern ERROR_CODE = java.util.regex.Pattern.compile("[A-Z][A-Z0-9_]{1,63}");

    static String redacted(JsonObject detail) {
        JsonObject d = detail.copy();
        StringBuilder kept = new StringBuilder();
        for (String k : java.util.List.of("code", "reason")) {
            if (d.getValue(k) instanceof String s && ERROR_CODE.matcher(s).matches()) {
                kept.append(k).append('=').append(s).append(' ');
                d.remove(k);
            }
        }
        return kept + redactedRest(d);
    }

    private static String redactedRest(JsonObject d) {
        for (String k : d.fieldNames()) {
            if (d.getValue(k) instanceof String s && (s.startsWith("http://") || s.startsWith("https://"))) {
                d.put(k, Redact.url(s));
            }
        }
        return Redact.text(d.encode());
    }

    private void append(Path file, String line) {
        try {
            if (Files.notExists(file)) {
                if (Files.notExists(dir)) {
                    // 0700: the sessions' own Unix users (an agent running as root) have no business here
                    Files.createDirectories(dir.getParent());
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
                }
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            log.warn("diagnostics file {} not written: {}", file, e.getMessage());
        }
    }

    /** Stops taking lines and waits (briefly) for the queued ones to reach the disk. Blocking. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
