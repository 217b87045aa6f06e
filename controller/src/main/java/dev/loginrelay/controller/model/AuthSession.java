package dev.loginrelay.controller.model;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * One row of {@code auth_sessions} as an immutable value. It holds no secret: the token hash stays in the database,
 * and {@link UserStep} masks the auth URL and user code in {@code toString()}.
 *
 * @param account      non-secret identity the CLI reported (email, account id, plan), or null
 * @param version      bumped by every change of the row
 * @param lastAgentSeq highest agent event seq stored (0 = none)
 * @param lastEventSeq seq of the newest timeline event (the timeline holds exactly 1..lastEventSeq)
 */
public record AuthSession(
    UUID sessionId,
    String owner,
    String provider,
    SessionState status,
    UserStep userStep,
    String agentId,
    String browserVmId,
    String vmIp,
    String errorCode,
    String errorMessage,
    JsonObject account,
    String idempotencyKey,
    Instant createdAt,
    Instant updatedAt,
    Instant deadlineAt,
    Instant finishedAt,
    long version,
    long lastAgentSeq,
    long lastEventSeq) {

    public AuthSession {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(userStep, "userStep");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
        Objects.requireNonNull(deadlineAt, "deadlineAt");
        if (status.isTerminal() != (finishedAt != null)) {
            throw new IllegalArgumentException("finishedAt must be set exactly when status is terminal (status="
                + status.wireName() + ", finishedAt=" + finishedAt + ")");
        }
        if (version < 0 || lastAgentSeq < 0 || lastEventSeq < 0) {
            throw new IllegalArgumentException("version, lastAgentSeq and lastEventSeq must be >= 0");
        }
        account = account == null ? null : account.copy();
    }

    /** A copy, so the record stays immutable. */
    @Override
    public JsonObject account() {
        return account == null ? null : account.copy();
    }

    /** True while the session can still move (not READY, FAILED, TIMEOUT or CANCELLED). */
    public boolean isActive() {
        return !status.isTerminal();
    }
}
