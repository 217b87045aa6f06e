package dev.loginrelay.controller.support;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A secret value (API key, operator token, agent token) that never shows itself: {@link #toString()} is
 * {@code <masked>}. Compare with {@link #matches(String)}, which runs in constant time.
 */
public final class Secret {
    private final String value;

    private Secret(String value) {
        this.value = Objects.requireNonNull(value, "value");
    }

    public static Secret of(String value) {
        return new Secret(value);
    }

    /** The raw value, for the one place that must send it. */
    public String reveal() {
        return value;
    }

    public boolean matches(String candidate) {
        return candidate != null && MessageDigest.isEqual(value.getBytes(StandardCharsets.UTF_8),
            candidate.getBytes(StandardCharsets.UTF_8));
    }

    public boolean isEmpty() {
        return value.isEmpty();
    }

    @Override
    public String toString() {
        return "<masked>";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && matches(s.value);
    }

    @Override
    public int hashCode() {
        return 0; // a hash of a secret is a leak; secrets are never map keys here
    }
}
