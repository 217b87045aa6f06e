package dev.loginrelay.controller.store;

import dev.loginrelay.controller.model.SessionChange;
import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.model.UserStep;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;

/** Binds the compare-and-set UPDATE of {@link SessionSql#TRANSITION}; kept apart to keep {@link SessionStore} short. */
final class Transitions {
    private Transitions() {
    }

    /** Runs the CAS; empty when the session is missing or not in {@code from}. */
    static Optional<AuthSession> apply(Connection c, UUID sessionId, SessionState from, SessionState to,
                                       SessionChange change) throws SQLException {
        boolean terminal = to.isTerminal();
        // Terminal moves clear the user step; otherwise a given step replaces all four columns.
        UserStep step = terminal ? UserStep.NONE : change.userStep();
        boolean replaceStep = step != null;
        try (PreparedStatement ps = c.prepareStatement(SessionSql.TRANSITION)) {
            int i = 1;
            ps.setString(i++, to.wireName());
            ps.setBoolean(i++, terminal);
            ps.setString(i++, change.agentId());
            ps.setString(i++, change.browserVmId());
            ps.setString(i++, change.vmIp());
            ps.setString(i++, change.errorCode());
            ps.setString(i++, change.errorMessage());
            ps.setString(i++, change.account() == null ? null : change.account().encode());
            ps.setBoolean(i++, replaceStep);
            ps.setString(i++, replaceStep ? step.expects().wireName() : null);
            ps.setBoolean(i++, replaceStep);
            ps.setString(i++, replaceStep ? step.authUrl() : null);
            ps.setBoolean(i++, replaceStep);
            ps.setString(i++, replaceStep ? step.verificationUrl() : null);
            ps.setBoolean(i++, replaceStep);
            ps.setString(i++, replaceStep ? step.userCode() : null);
            ps.setObject(i++, sessionId);
            ps.setString(i, from.wireName());
            return SessionRows.oneSession(ps);
        }
    }

    /** The timeline detail of a user step: which parts exist, never their values (the URL holds the OAuth state). */
    static JsonObject describe(UserStep step) {
        return new JsonObject()
            .put("expects", step.expects().wireName())
            .put("auth_url", step.authUrl() != null)
            .put("verification_url", step.verificationUrl() != null)
            .put("user_code", step.userCode() != null);
    }
}
