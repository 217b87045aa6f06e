package dev.loginrelay.controller.store;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How to reach PostgreSQL. {@code toString()} masks the password, including a {@code password=} parameter in the
 * JDBC URL (HikariCP {@code maskPasswordInJdbcUrl}), so the config can be logged once at startup.
 *
 * @param user              null when the URL names the user
 * @param password          null when the URL or the server's auth method needs none
 * @param poolSize          Hikari {@code maximumPoolSize}, and the size of the JDBC worker executor
 * @param connectionTimeout how long a caller waits for a pooled connection
 * @param statementTimeout  PostgreSQL {@code statement_timeout} of every pooled connection
 * @param poolName          names the Hikari pool and the worker executor ("jdbc"); one per {@link Db} in a Vert.x
 */
public record DbConfig(
    String jdbcUrl, String user, String password, int poolSize, Duration connectionTimeout,
    Duration statementTimeout, String poolName) {

    public static final int DEFAULT_POOL_SIZE = 10;
    public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(30);
    public static final String DEFAULT_POOL_NAME = "jdbc";

    private static final Pattern URL_PASSWORD = Pattern.compile("(?i)(password=)[^&;]*");

    public DbConfig {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("jdbcUrl must start with jdbc:postgresql:, not " + maskUrl(jdbcUrl));
        }
        if (poolSize < 1 || poolSize > 100) {
            throw new IllegalArgumentException("poolSize must be 1..100, not " + poolSize);
        }
        requirePositive("connectionTimeout", connectionTimeout);
        requirePositive("statementTimeout", statementTimeout);
        Objects.requireNonNull(poolName, "poolName");
        if (!poolName.matches("[a-z][a-z0-9-]{0,31}")) {
            throw new IllegalArgumentException("poolName must match [a-z][a-z0-9-]{0,31}, not '" + poolName + "'");
        }
    }

    /** A config with the default pool size, timeouts and pool name. */
    public static DbConfig of(String jdbcUrl, String user, String password) {
        return new DbConfig(jdbcUrl, user, password, DEFAULT_POOL_SIZE, DEFAULT_CONNECTION_TIMEOUT,
            DEFAULT_STATEMENT_TIMEOUT, DEFAULT_POOL_NAME);
    }

    public DbConfig withPoolName(String name) {
        return new DbConfig(jdbcUrl, user, password, poolSize, connectionTimeout, statementTimeout, name);
    }

    public DbConfig withPoolSize(int size) {
        return new DbConfig(jdbcUrl, user, password, size, connectionTimeout, statementTimeout, poolName);
    }

    private static void requirePositive(String field, Duration d) {
        Objects.requireNonNull(d, field);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(field + " must be positive, not " + d);
        }
    }

    static String maskUrl(String jdbcUrl) {
        return URL_PASSWORD.matcher(jdbcUrl).replaceAll("$1<masked>");
    }

    @Override
    public String toString() {
        return "DbConfig[jdbcUrl=" + maskUrl(jdbcUrl) + ", user=" + user + ", password="
            + (password == null ? "null" : "<masked>") + ", poolSize=" + poolSize + ", connectionTimeout="
            + connectionTimeout.toMillis() + "ms, statementTimeout=" + statementTimeout.toMillis() + "ms, poolName="
            + poolName + "]";
    }
}
