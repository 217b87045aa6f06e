package dev.loginrelay.agent.run;

import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.error.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * A provider's credential files as they travel between a run's HOME, the controller and a workspace's HOME:
 * {@code {"path": relative to HOME, "mode": octal string, "content": base64}}. Only the spec's
 * {@code success.credentialFiles} ever travel, and never outside HOME. Blocking; the contents are never logged.
 */
final class CredentialFiles {
    /** Largest credential file that travels (codex's auth.json is about 4 KiB). */
    static final int MAX_FILE_BYTES = 32 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");

    private CredentialFiles() {
    }

    /** Reads the spec's files under {@code home} into the wire form. */
    static JsonArray read(Path home, List<String> relPaths) throws IOException {
        JsonArray out = new JsonArray();
        for (String rel : relPaths) {
            Path f = inside(home, rel);
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                throw new ApiException(ErrorCode.ILLEGAL_STATE, "credential file " + rel + " is not there");
            }
            if (Files.size(f) > MAX_FILE_BYTES) {
                throw new ApiException(ErrorCode.ILLEGAL_STATE, "credential file " + rel + " is larger than "
                    + MAX_FILE_BYTES + " bytes");
            }
            String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(f, LinkOption.NOFOLLOW_LINKS));
            out.add(new JsonObject().put("path", rel).put("mode", octal(mode))
                .put("content", Base64.getEncoder().encodeToString(Files.readAllBytes(f))));
        }
        return out;
    }

    /** Those of the spec's files that exist under {@code home}, in the wire form. */
    static JsonArray readPresent(Path home, List<String> relPaths) throws IOException {
        List<String> present = new ArrayList<>();
        for (String rel : relPaths) {
            if (Files.isRegularFile(inside(home, rel), LinkOption.NOFOLLOW_LINKS)) {
                present.add(rel);
            }
        }
        return read(home, present);
    }

    /** Deletes the spec's files under {@code home}; returns how many were there. */
    static int delete(Path home, List<String> relPaths) throws IOException {
        int n = 0;
        for (String rel : relPaths) {
            if (Files.deleteIfExists(inside(home, rel))) {
                n++;
            }
        }
        return n;
    }

    /**
     * Writes files in the wire form under {@code home}: each one 0600, to a temporary file in the same directory that
     * is then renamed over the target, so the CLI never reads a half-written file. Only paths in {@code allowed}.
     */
    static int write(Path home, JsonArray files, List<String> allowed) throws IOException {
        List<Object[]> decoded = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            JsonObject f = files.getJsonObject(i);
            String rel = f.getString("path");
            if (rel == null || !allowed.contains(rel)) {
                throw new ApiException(ErrorCode.BAD_REQUEST, "files[" + i + "].path must be one of " + allowed);
            }
            byte[] content;
            try {
                content = Base64.getDecoder().decode(f.getString("content", ""));
            } catch (IllegalArgumentException e) {
                throw new ApiException(ErrorCode.BAD_REQUEST, "files[" + i + "].content is not base64");
            }
            if (content.length == 0 || content.length > MAX_FILE_BYTES) {
                throw new ApiException(ErrorCode.BAD_REQUEST, "files[" + i + "].content must be 1.." + MAX_FILE_BYTES
                    + " bytes");
            }
            decoded.add(new Object[] {inside(home, rel), content});
        }
        for (Object[] d : decoded) {
            writeAtomically((Path) d[0], (byte[]) d[1]);
        }
        return decoded.size();
    }

    static void writeAtomically(Path target, byte[] content) throws IOException {
        Path dir = target.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                "rwx------")));
        }
        byte[] rnd = new byte[6];
        RANDOM.nextBytes(rnd);
        Path tmp = dir.resolve("." + target.getFileName() + ".loginrelay-" + HexFormat.of().formatHex(rnd));
        try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(OWNER_RW))) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally { // after a failed rename: no stray copy of a credential
            Files.deleteIfExists(tmp);
        }
    }

    static Path inside(Path home, String relative) throws IOException {
        Path target = home.resolve(relative).normalize();
        if (!target.startsWith(home) || target.equals(home)) {
            throw new IOException("path escapes HOME: " + relative);
        }
        return target;
    }

    private static String octal(String rwx) {
        int m = 0;
        for (int i = 0; i < 9; i++) {
            if (rwx.charAt(i) != '-') {
                m |= 1 << (8 - i);
            }
        }
        return String.format("%04o", m);
    }
}
