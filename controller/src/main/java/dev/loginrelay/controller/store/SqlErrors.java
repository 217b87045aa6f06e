package dev.loginrelay.controller.store;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Maps a failed statement to an {@link ApiException} by SQLSTATE (Hono {@code SQL.translateException}). Messages name
 * the SQLSTATE and the constraint, never row values: pooled connections also set {@code logServerErrorDetail=false}
 * so the driver keeps the server's "Failing row contains (...)" detail out of exception messages.
 */
final class SqlErrors {
    static final String UNIQUE_VIOLATION = "23505";
    static final String SERIALIZATION_FAILURE = "40001";
    static final String DEADLOCK_DETECTED = "40P01";
    static final String QUERY_CANCELED = "57014";
    /** character_not_in_repertoire (NUL), untranslatable_character, string_data_right_truncation. */
    static final java.util.Set<String> INPUT_DATA_ERRORS = java.util.Set.of("22021", "22P05", "22001");

    private SqlErrors() {
    }

    static ApiException translate(SQLException e, String pool) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (UNIQUE_VIOLATION.equals(state)) {
            return new ApiException(ErrorCode.CONFLICT, "conflicts with an existing row (constraint="
                + constraint(e) + ")", e);
        }
        if (SERIALIZATION_FAILURE.equals(state) || DEADLOCK_DETECTED.equals(state)) {
            return new ApiException(ErrorCode.RETRY_LATER, "the database aborted the transaction (sqlstate="
                + state + "); repeating it is safe", e);
        }
        if (e instanceof SQLTransientConnectionException || state.startsWith("08")) {
            return new ApiException(ErrorCode.UNAVAILABLE, "database unavailable (pool=" + pool + ", sqlstate="
                + state + ")", e);
        }
        if (INPUT_DATA_ERRORS.contains(state)) { // a NUL byte, an unstorable character, a too-long value: input
            return new ApiException(ErrorCode.INVALID_INPUT,
                "the database cannot store a value of the request (sqlstate=" + state + ")", e);
        }
        if (QUERY_CANCELED.equals(state)) {
            return new ApiException(ErrorCode.UNAVAILABLE, "statement canceled or timed out (pool=" + pool + ")", e);
        }
        return new ApiException(ErrorCode.INTERNAL, "database error (pool=" + pool + ", sqlstate=" + state + ")", e);
    }

    private static String constraint(SQLException e) {
        if (e instanceof PSQLException p) {
            ServerErrorMessage m = p.getServerErrorMessage();
            if (m != null && m.getConstraint() != null) {
                return m.getConstraint();
            }
        }
        return "unknown";
    }
}
