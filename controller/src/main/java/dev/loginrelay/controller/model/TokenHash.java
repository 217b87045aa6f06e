package dev.loginrelay.controller.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

/**
 * The SHA-256 of a session's bearer token: what {@code auth_sessions.session_token_hash} stores instead of the
 * token. A plain hash is enough because tokens are 256-bit random values, not passwords. Never printed.
 */
public final class TokenHash {
    private static final int LENGTH = 32;
    private final byte[] digest;

    private TokenHash(byte[] digest) {
        this.digest = digest;
    }

    /** The hash of a raw token as the client presents it. */
    public static TokenHash of(String token) {
        Objects.requireNonNull(token, "token");
        if (token.isEmpty()) {
            throw new IllegalArgumentException("token must not be empty");
        }
        try {
            return new TokenHash(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    /** A hash read back from the database. */
    public static TokenHash fromBytes(byte[] digest) {
        Objects.requireNonNull(digest, "digest");
        if (digest.length != LENGTH) {
            throw new IllegalArgumentException("digest must be " + LENGTH + " bytes, not " + digest.length);
        }
        return new TokenHash(digest.clone());
    }

    /** A copy of the 32 digest bytes. */
    public byte[] bytes() {
        return digest.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenHash other && MessageDigest.isEqual(digest, other.digest);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(digest);
    }

    @Override
    public String toString() {
        return "TokenHash[<masked>]";
    }
}
