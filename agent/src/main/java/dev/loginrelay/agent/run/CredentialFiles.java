package dev.loginrelay.agent.run;

import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.error.ErrorCode;
import dev.loginrelay.agent.provider.ProviderSpec.CredentialFile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
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
 * {@code {"path": relative to HOME, "mode": octal string, "content": base64}}, plus {@code "keys"} for an entry that
 * carries only some top-level keys of a JSON file ({@link CredentialFile#partial()}): then the content
 * is a JSON object of just those keys, never the rest of the file. Only the spec's {@code success.credentialFiles}
 * ever travel, and never outside HOME. Blocking; the contents are never logged.
 */
final class CredentialFiles {
    /** Largest credential file (or part) that travels (codex's auth.json is about 4 KiB). */
    static final int MAX_FILE_BYTES = 32 * 1024;
    /** Largest file a part is read from or merged into (a user's ~/.claude.json grows with their projects). */
    static final int MAX_SOURCE_BYTES = 16 * 1024 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");

    private CredentialFiles() {
    }

    /** Reads the spec's files (or their parts; each named key must be there) under {@code home} into the wire form. */
    static JsonArray read(Path home, List<CredentialFile> specFiles) throws IOException {
        JsonArray out = new JsonArray();
        for (CredentialFile cf : specFiles) {
            String rel = cf.path();
            Path f = inside(home, rel);
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                throw new ApiException(ErrorCode.ILLEGAL_STATE, "credential file " + rel + " is not there");
            }
            byte[] content = cf.partial() ? partBytes(f, cf, true) : Files.readAllBytes(f);
            if (content.length > MAX_FILE_BYTES) {
                throw new ApiException(ErrorCode.ILLEGAL_STATE, "credential file " + rel + (cf.partial() ? " (its keys "
                    + cf.keys() + ")" : "") + " is larger than " + MAX_FILE_BYTES + " bytes");
            }
            out.add(entry(cf, cf.partial() ? "0600" : octal(Files.getPosixFilePermissions(f,
                LinkOption.NOFOLLOW_LINKS)), content));
        }
        return out;
    }

    /** Those of the spec's files (or parts, as far as present) that exist under {@code home}, in the wire form. */
    static JsonArray readPresent(Path home, List<CredentialFile> specFiles) throws IOException {
        JsonArray out = new JsonArray();
        for (CredentialFile cf : specFiles) {
            Path f = inside(home, cf.path());
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            if (!cf.partial()) {
                out.addAll(read(home, List.of(cf)));
                continue;
            }
            byte[] part = partBytes(f, cf, false);
            if (part != null && part.length <= MAX_FILE_BYTES) {
                out.add(entry(cf, "0600", part));
            }
        }
        return out;
    }

    /**
     * Deletes the spec's files under {@code home}; from a file of which only some keys travel, removes just those keys
     * (the rest of the file stays). Returns how many files were there or changed.
     */
    static int delete(Path home, List<CredentialFile> specFiles) throws IOException {
        int n = 0;
        for (CredentialFile cf : specFiles) {
            Path f = inside(home, cf.path());
            if (!cf.partial()) {
                n += Files.deleteIfExists(f) ? 1 : 0;
                continue;
            }
            JsonObject doc = Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) ? source(f) : null;
            JsonObject rest = doc == null ? null : JsonKeys.without(doc, cf.keys());
            if (rest != null) {
                writeAtomically(f, JsonKeys.text(rest).getBytes(StandardCharsets.UTF_8));
                n++;
            }
        }
        return n;
    }

    /**
     * Writes files in the wire form under {@code home}: each one 0600, to a temporary file in the same directory that
     * is then renamed over the target, so the CLI never reads a half-written file. Only the spec's paths; a part's
     * keys are merged into the file there (created when missing), keeping every other key. Everything is checked
     * before anything is written.
     */
    static int write(Path home, JsonArray files, List<CredentialFile> specFiles) throws IOException {
        List<Object[]> decoded = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            JsonObject f = files.getJsonObject(i);
            String rel = f.getString("path");
            CredentialFile cf = specFiles.stream().filter(s -> s.path().equals(rel)).findFirst().orElse(null);
            if (cf == null) {
                throw new ApiException(ErrorCode.BAD_REQUEST, "files[" + i + "].path must be one of "
                    + specFiles.stream().map(CredentialFile::path).toList());
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
            Path target = inside(home, rel);
            decoded.add(new Object[] {target, cf.partial() ? merged(target, cf, content, i) : content});
        }
        for (Object[] d : decoded) {
            writeAtomically((Path) d[0], (byte[]) d[1]);
        }
        return decoded.size();
    }

    /** The workspace's file at {@code target} (or a new one) with the part's keys set. */
    private static byte[] merged(Path target, CredentialFile cf, byte[] content, int i) throws IOException {
        JsonObject part = JsonKeys.object(new String(content, StandardCharsets.UTF_8));
        if (part == null || part.isEmpty() || !cf.keys().containsAll(part.fieldNames())) {
            throw new ApiException(ErrorCode.BAD_REQUEST, "files[" + i + "].content must be a JSON object of some of "
                + "the keys " + cf.keys() + " of " + cf.path());
        }
        JsonObject doc = new JsonObject();
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            doc = Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) ? source(target) : null;
            if (doc == null) {
                throw new ApiException(ErrorCode.ILLEGAL_STATE, cf.path() + " in the workspace is not a JSON object "
                    + "file; it was left as it is and nothing was installed");
            }
        }
        return JsonKeys.text(JsonKeys.merged(doc, part)).getBytes(StandardCharsets.UTF_8);
    }

    /** The named keys of the JSON object file {@code f}, encoded; null (a failure when {@code required}) if none. */
    private static byte[] partBytes(Path f, CredentialFile cf, boolean required) throws IOException {
        JsonObject doc = source(f);
        JsonObject part = doc == null ? new JsonObject() : JsonKeys.part(doc, cf.keys());
        if (required && (doc == null || part.size() != cf.keys().size())) {
            throw new ApiException(ErrorCode.ILLEGAL_STATE, "credential file " + cf.path() + " is not a JSON object "
                + "with the keys " + cf.keys());
        }
        return part.isEmpty() ? null : part.encode().getBytes(StandardCharsets.UTF_8);
    }

    /** The JSON object in a file a part comes from or goes into; null when it is not one (or too large to be one). */
    private static JsonObject source(Path f) throws IOException {
        if (Files.size(f) > MAX_SOURCE_BYTES) {
            return null;
        }
        return JsonKeys.object(Files.readString(f, StandardCharsets.UTF_8));
    }

    private static JsonObject entry(CredentialFile cf, String mode, byte[] content) {
        JsonObject e = new JsonObject().put("path", cf.path()).put("mode", mode)
            .put("content", Base64.getEncoder().encodeToString(content));
        return cf.partial() ? e.put("keys", new JsonArray(cf.keys())) : e;
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

    private static String octal(Set<PosixFilePermission> perms) {
        String rwx = PosixFilePermissions.toString(perms);
        int m = 0;
        for (int i = 0; i < 9; i++) {
            if (rwx.charAt(i) != '-') {
                m |= 1 << (8 - i);
            }
        }
        return String.format("%04o", m);
    }
}
