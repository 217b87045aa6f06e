package dev.loginrelay.controller.support;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/** Reads a secret from a file, or generates one into it (0600) and says where, once. Blocking. */
public final class SecretFiles {
    private static final Logger log = LoggerFactory.getLogger(SecretFiles.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private SecretFiles() {
    }

    /** 32 random bytes, base64url: for tokens and keys. */
    public static String randomToken() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    public static Secret read(Path file) {
        try {
            String v = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (v.isEmpty()) {
                throw new IllegalArgumentException("secret file " + file + " is empty");
            }
            return Secret.of(v);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read secret file " + file, e);
        }
    }

    /** The secret in {@code file}; when the file does not exist, a new random one written there. */
    public static Secret readOrCreate(Path file, String what) {
        if (Files.exists(file)) {
            return read(file);
        }
        String token = randomToken();
        write(file, token);
        log.info("generated {} into {} (mode 0600)", what, file);
        return Secret.of(token);
    }

    public static void write(Path file, String value) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, value + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write secret file " + file, e);
        }
    }
}
