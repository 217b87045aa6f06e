package dev.loginrelay.agent;

import dev.loginrelay.agent.support.Secret;
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

/** Reads the API token from its file, or creates one (0600) when the file does not exist. Blocking. */
final class TokenFile {
    private static final Logger log = LoggerFactory.getLogger(TokenFile.class);

    private TokenFile() {
    }

    static Secret readOrCreate(Path file) {
        try {
            if (Files.exists(file)) {
                String token = Files.readString(file, StandardCharsets.UTF_8).strip();
                if (token.length() < 16) {
                    throw new IllegalArgumentException("token file " + file + " holds fewer than 16 characters");
                }
                return Secret.of(token);
            }
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
            log.info("generated a new API token in {} (mode 0600)", file);
            return Secret.of(token);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create token file " + file, e);
        }
    }
}
