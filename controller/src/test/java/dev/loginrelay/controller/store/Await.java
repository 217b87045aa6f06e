package dev.loginrelay.controller.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import io.vertx.core.Future;
import java.sql.SQLException;

/** Waits for a Vert.x future on the test thread (never an event loop), with a deadline. */
final class Await {
    private static final long TIMEOUT_SECONDS = 15;

    private Await() {
    }

    static <T> T result(Future<T> future) {
        return dev.loginrelay.controller.testing.Futures.await(future, TIMEOUT_SECONDS);
    }

    /** The SQLSTATE of the first {@link SQLException} in the cause chain, or null. */
    static String sqlState(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SQLException s && s.getSQLState() != null) {
                return s.getSQLState();
            }
        }
        return null;
    }

    /** The {@link ApiException} the future failed with; asserts its code. */
    static ApiException failure(Future<?> future, ErrorCode expected) {
        try {
            Object value = result(future);
            return fail("expected %s, but succeeded with %s", expected, value);
        } catch (ApiException e) {
            assertThat(e.code()).as("error code of: %s", e.getMessage()).isEqualTo(expected);
            return e;
        }
    }
}
