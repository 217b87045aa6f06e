package dev.loginrelay.controller.store;

import dev.loginrelay.controller.model.TokenHash;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What {@link SessionStore#insert} needs to create a PENDING session. The deadline is {@code now() + ttl} on the
 * database clock, so every replica agrees on it.
 *
 * @param idempotencyKey the client's key, unique per owner; null when the client sent none
 */
public record NewSession(String owner, String provider, TokenHash tokenHash, String idempotencyKey, Duration ttl) {
    private static final Pattern PROVIDER = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
    private static final Duration MAX_TTL = Duration.ofDays(1);

    public NewSession {
        Objects.requireNonNull(owner, "owner");
        if (owner.isBlank() || owner.length() > 200) {
            throw new IllegalArgumentException("owner must be 1..200 characters, not blank");
        }
        if (provider == null || !PROVIDER.matcher(provider).matches()) {
            throw new IllegalArgumentException(
                "provider must match " + PROVIDER.pattern() + ", not '" + provider + "'");
        }
        Objects.requireNonNull(tokenHash, "tokenHash");
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
            throw new IllegalArgumentException("idempotencyKey must be 1..200 characters, not blank");
        }
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("ttl must be in (0, " + MAX_TTL + "], not " + ttl);
        }
    }
}
