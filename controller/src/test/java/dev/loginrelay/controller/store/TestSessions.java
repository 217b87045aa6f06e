package dev.loginrelay.controller.store;

import dev.loginrelay.controller.model.SessionChange;
import static dev.loginrelay.controller.model.SessionState.AWAITING_USER;
import static dev.loginrelay.controller.model.SessionState.PENDING;
import static dev.loginrelay.controller.model.SessionState.READY;
import static dev.loginrelay.controller.model.SessionState.STARTING;
import static dev.loginrelay.controller.model.SessionState.VERIFYING;

import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.model.TokenHash;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/** Builds sessions for store tests: a fresh owner each time, so the one-active-session rule never interferes. */
final class TestSessions {
    static final Duration TTL = Duration.ofMinutes(10);

    private TestSessions() {
    }

    static NewSession fresh(String provider) {
        return new NewSession("user-" + UUID.randomUUID(), provider, TokenHash.of(UUID.randomUUID().toString()), null,
            TTL);
    }

    static AuthSession insert(SessionStore store, String provider) {
        return Await.result(store.insert(fresh(provider)));
    }

    /** The shortest legal path from PENDING to {@code target}, as the states after PENDING. */
    static List<SessionState> pathTo(SessionState target) {
        return switch (target) {
            case PENDING -> List.of();
            case STARTING -> List.of(STARTING);
            case AWAITING_USER -> List.of(STARTING, AWAITING_USER);
            case VERIFYING -> List.of(STARTING, AWAITING_USER, VERIFYING);
            case READY -> List.of(STARTING, AWAITING_USER, VERIFYING, READY);
            case FAILED, TIMEOUT, CANCELLED -> List.of(target);
        };
    }

    /** A new session moved along {@link #pathTo} through the store. */
    static AuthSession inState(SessionStore store, String provider, SessionState target) {
        AuthSession s = insert(store, provider);
        SessionState at = PENDING;
        for (SessionState next : pathTo(target)) {
            s = Await.result(store.transition(s.sessionId(), at, next, SessionChange.none()));
            at = next;
        }
        return s;
    }

    /** Moves a session's deadline into the past with raw SQL, as if its time had run out. */
    static void expire(Db db, UUID sessionId) {
        Await.result(db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                "UPDATE auth_sessions SET deadline_at = now() - interval '1 second' WHERE session_id = ?")) {
                ps.setObject(1, sessionId);
                return ps.executeUpdate();
            }
        }));
    }
}
