package dev.loginrelay.controller.vm;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The agents' self-check report kept on disk under a key made from what the report depends on (the agent jar's
 * bytes, the CLIs' installed files, the operator specs), so a controller restart with unchanged pins reuses it
 * instead of running {@code doctor} again (several seconds: {@code gemini --version} alone takes ~3 s). Blocking.
 */
public final class SelfCheckCache {
    private final Path file;

    public SelfCheckCache(Path file) {
        this.file = file;
    }

    /** The report stored under {@code key}, if there is one. */
    public Optional<JsonObject> read(String key) {
        try {
            if (!Files.isRegularFile(file)) {
                return Optional.empty();
            }
            JsonObject stored = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
            return key.equals(stored.getString("key")) ? Optional.ofNullable(stored.getJsonObject("report"))
                : Optional.empty();
        } catch (IOException | DecodeException | ClassCastException e) {
            return Optional.empty(); // unreadable or from another format: run the self-check again
        }
    }

    /** Stores the report under {@code key} (write to a temp file, then rename). */
    public void write(String key, JsonObject report) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            Files.writeString(tmp, new JsonObject().put("key", key).put("report", report).encode(),
                StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the self-check report in " + file, e);
        }
    }

    /**
     * A key over the content of {@code files} and, for each of {@code dirs}, every file below it (path, size and
     * modification time, following links: reinstalling a CLI changes it). Missing paths count as missing.
     */
    public static String keyOf(List<Path> files, List<Path> dirs, String... extra) {
        MessageDigest md = sha256();
        for (String s : extra) {
            md.update((s + "\n").getBytes(StandardCharsets.UTF_8));
        }
        for (Path f : files) {
            md.update(("file " + f + "\n").getBytes(StandardCharsets.UTF_8));
            if (Files.isRegularFile(f)) {
                try (InputStream in = Files.newInputStream(f)) {
                    byte[] buf = new byte[1 << 16];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        md.update(buf, 0, n);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + f, e);
                }
            }
        }
        for (Path d : dirs) {
            md.update(("dir " + d + "\n").getBytes(StandardCharsets.UTF_8));
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (Stream<Path> all = Files.list(d)) {
                for (Path p : all.sorted().toList()) {
                    md.update(describe(p).getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + d, e);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static String describe(Path p) {
        try {
            Path real = p.toRealPath();
            return p.getFileName() + " -> " + real + " " + Files.size(real) + " " + Files.getLastModifiedTime(real)
                + "\n";
        } catch (IOException e) {
            return p.getFileName() + " dangling\n";
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }
}
