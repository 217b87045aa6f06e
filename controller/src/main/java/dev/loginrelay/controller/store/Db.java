package dev.loginrelay.controller.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's one door to PostgreSQL: a HikariCP pool plus a named Vert.x {@link WorkerExecutor} of the same
 * size, so JDBC never runs on an event loop and never waits for a thread while holding a connection (HikariCP "About
 * Pool Sizing"). Work is submitted unordered, because the default serializes all blocking calls of one context.
 */
public final class Db {
    private static final Logger log = LoggerFactory.getLogger(Db.class);
    private static final String MIGRATIONS = "classpath:db/migration";

    private final DbConfig config;
    private final HikariDataSource dataSource;
    private final WorkerExecutor workers;

    private Db(DbConfig config, HikariDataSource dataSource, WorkerExecutor workers) {
        this.config = config;
        this.dataSource = dataSource;
        this.workers = workers;
    }

    /**
     * Creates the pool and the "jdbc" workers without blocking: connections are opened in the background, and the
     * first failure to connect surfaces from {@link #migrate()} at startup.
     */
    public static Db create(Vertx vertx, DbConfig config) {
        Objects.requireNonNull(vertx, "vertx");
        Objects.requireNonNull(config, "config");
        HikariConfig hc = new HikariConfig();
        hc.setPoolName(config.poolName());
        hc.setJdbcUrl(config.jdbcUrl());
        hc.setUsername(config.user());
        hc.setPassword(config.password());
        hc.setMaximumPoolSize(config.poolSize());
        hc.setConnectionTimeout(config.connectionTimeout().toMillis());
        hc.setInitializationFailTimeout(-1);
        hc.setConnectionInitSql("SET statement_timeout = " + config.statementTimeout().toMillis());
        hc.addDataSourceProperty("ApplicationName", "loginrelay-controller/" + config.poolName());
        hc.addDataSourceProperty("logServerErrorDetail", "false");
        // A worker may wait connectionTimeout for a connection, then run one statement: only past both is it stuck.
        long maxExecuteMs = config.connectionTimeout().toMillis() + config.statementTimeout().toMillis() + 10_000;
        WorkerExecutor workers = vertx.createSharedWorkerExecutor(
            config.poolName(), config.poolSize(), maxExecuteMs, TimeUnit.MILLISECONDS);
        log.info("pool={} database config {}", config.poolName(), config);
        return new Db(config, new HikariDataSource(hc), workers);
    }

    /** Applies the pending migrations of {@code classpath:db/migration}; yields how many ran. */
    public Future<Integer> migrate() {
        return workers.executeBlocking(() -> {
            long start = System.nanoTime();
            int executed = Flyway.configure()
                .dataSource(dataSource)
                .locations(MIGRATIONS)
                .load()
                .migrate()
                .migrationsExecuted;
            log.info("pool={} migrations applied={} elapsedMs={}", config.poolName(), executed,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            return executed;
        }, false).recover(e -> Future.failedFuture(translate(e)));
    }

    /** Runs {@code work} on a JDBC worker with a pooled connection in auto-commit mode. */
    public <T> Future<T> call(SqlFunction<Connection, T> work) {
        Objects.requireNonNull(work, "work");
        return workers.executeBlocking(() -> run(work, false), false);
    }

    /**
     * Runs {@code work} in one transaction (READ COMMITTED): commits when it returns, rolls back when it throws.
     * Serialization failures and deadlocks fail with {@link ErrorCode#RETRY_LATER}.
     */
    public <T> Future<T> inTransaction(SqlFunction<Connection, T> work) {
        Objects.requireNonNull(work, "work");
        return workers.executeBlocking(() -> run(work, true), false);
    }

    /** Closes the pool, then the workers. */
    public Future<Void> close() {
        return workers.executeBlocking(() -> {
            dataSource.close();
            return null;
        }, false).eventually(workers::close).mapEmpty();
    }

    public DbConfig config() {
        return config;
    }

    private <T> T run(SqlFunction<Connection, T> work, boolean transaction) {
        try (Connection c = dataSource.getConnection()) {
            if (!transaction) {
                return work.apply(c);
            }
            c.setAutoCommit(false);
            try {
                T result = work.apply(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c, e);
                throw e;
            }
        } catch (SQLException e) {
            throw SqlErrors.translate(e, config.poolName());
        }
    }

    private static void rollbackQuietly(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e); // Hikari evicts a connection whose rollback failed
        }
    }

    private ApiException translate(Throwable e) {
        if (e instanceof ApiException api) {
            return api;
        }
        SQLException sql = findSql(e);
        return sql != null ? SqlErrors.translate(sql, config.poolName())
            : new ApiException(ErrorCode.INTERNAL, "database migration failed (pool=" + config.poolName() + ")", e);
    }

    private static SQLException findSql(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SQLException s) {
                return s;
            }
        }
        return null;
    }
}
