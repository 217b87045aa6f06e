package dev.loginrelay.controller.session;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.metrics.SessionMetrics;
import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.FailureCode;
import dev.loginrelay.controller.model.SessionChange;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.model.UserStep;
import dev.loginrelay.controller.store.SessionStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The one writer of session status: every move (from the API, the run follower, recovery and the timeout sweeper) is
 * a compare-and-set in the store with its timeline event, then the metrics and a log line. Nothing else in the
 * controller changes a session's status.
 */
public final class SessionMoves {
    private static final Logger log = LoggerFactory.getLogger(SessionMoves.class);

    private final SessionStore store;
    private final SessionMetrics metrics;

    public SessionMoves(SessionStore store, SessionMetrics metrics) {
        this.store = store;
        this.metrics = metrics;
    }

    /**
     * Moves the session from {@code from} to {@code to} when it is still in {@code from}; fails with
     * {@link ErrorCode#ILLEGAL_TRANSITION} otherwise (nothing written).
     */
    public Future<AuthSession> move(UUID id, SessionState from, SessionState to, SessionChange change) {
        return store.transition(id, from, to, change).onSuccess(s -> metrics.moved(s, from));
    }

    /**
     * Fails the session with one of the controller's own codes if it is still open; a session that already ended
     * (or ends in a race) is left as it is. Answers the session as it is afterwards, if it exists.
     */
    public Future<Optional<AuthSession>> fail(UUID id, FailureCode code, String message, JsonObject detail) {
        return store.findById(id).compose(found -> {
            if (found.isEmpty() || found.get().status().isTerminal()) {
                return Future.succeededFuture(found);
            }
            AuthSession s = found.get();
            return move(id, s.status(), SessionState.FAILED, SessionChange.none().withError(code.name(), message)
                    .withDetail(detail))
                .map(Optional::of)
                .onSuccess(x -> log.warn("session={} failed {}: {}", id, code, message))
                .recover(err -> isLostRace(err) ? store.findById(id) : Future.failedFuture(err));
        });
    }

    /** Times out overdue sessions (one statement, safe on every replica); answers those this call moved. */
    public Future<List<AuthSession>> timeoutOverdue(int batch) {
        return store.timeoutOverdue(batch).onSuccess(moved -> moved.forEach(s -> metrics.moved(s, SessionState.PENDING)));
    }

    /** A new user step while the session already awaits the user (a fresh URL after a rejected code). */
    public Future<AuthSession> updateUserStep(UUID id, UserStep step) {
        return store.updateUserStep(id, step);
    }

    /** Stores an agent's event once per agent sequence number; true when it was new. Does not move the status. */
    public Future<Boolean> recordAgentEvent(UUID id, long agentSeq, String kind, JsonObject detail) {
        return store.recordAgentEvent(id, agentSeq, kind, detail);
    }

    public Future<Optional<AuthSession>> find(UUID id) {
        return store.findById(id);
    }

    /** True when a move failed only because another writer moved the session first. */
    public static boolean isLostRace(Throwable err) {
        return err instanceof ApiException a && a.code() == ErrorCode.ILLEGAL_TRANSITION;
    }
}
