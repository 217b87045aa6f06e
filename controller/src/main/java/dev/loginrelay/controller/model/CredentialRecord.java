package dev.loginrelay.controller.model;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * One user's current credentials for one provider. The files exist here only as ciphertext: a data key wrapped by
 * the master key {@code keyId}; a revoked record has none. {@code toString()} shows metadata only.
 *
 * @param version        1 for the first capture, +1 for each later one (a new login or a refresh pulled back)
 * @param sourceSession  the auth session whose login produced the files
 * @param workspaceId    where they are installed ({@code installed} only)
 */
public record CredentialRecord(String userId, String provider, long version, CredentialState state,
                               String accountEmail, String accountPlan, Instant createdAt, Instant updatedAt,
                               Instant expiresAt, UUID sourceSession, String workspaceId, Instant installedAt,
                               String keyId, byte[] wrappedKey, byte[] nonce, byte[] ciphertext) {
    public CredentialRecord {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(state, "state");
    }

    /** True while there is ciphertext to decrypt. */
    public boolean hasFiles() {
        return state != CredentialState.REVOKED && ciphertext != null;
    }

    @Override
    public String toString() {
        return "CredentialRecord[" + userId + "/" + provider + " v" + version + " " + state.wireName()
            + (workspaceId == null ? "" : " in " + workspaceId) + " keyId=" + keyId + "]";
    }
}
