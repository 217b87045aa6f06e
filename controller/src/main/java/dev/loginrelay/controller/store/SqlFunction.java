package dev.loginrelay.controller.store;

import java.sql.SQLException;

/** A piece of JDBC work that may throw {@link SQLException}; {@link Db} runs it on a JDBC worker thread. */
@FunctionalInterface
public interface SqlFunction<A, R> {
    R apply(A arg) throws SQLException;
}
