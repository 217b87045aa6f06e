package dev.loginrelay.controller.store;

import io.vertx.core.Vertx;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * Cross-replica fan-out: one dedicated connection LISTENs on {@code auth_session_changed} (the triggers NOTIFY on every
 * status change and timeline event, from any replica) and republishes each session id on the Vert.x event bus
 * address {@link #ADDRESS}. A platform thread of its own, because it blocks; it reconnects after a failure.
 */
public final class ChangeListener implements AutoCloseable {
    public static final String ADDRESS = "loginrelay.session.changed";
    private static final Logger log = LoggerFactory.getLogger(ChangeListener.class);
    private static final int POLL_MS = 250;

    private final Vertx vertx;
    private final DbConfig config;
    private final Thread thread;
    private volatile boolean running = true;

    public ChangeListener(Vertx vertx, DbConfig config) {
        this.vertx = vertx;
        this.config = config;
        this.thread = new Thread(this::loop, "pg-listen");
        this.thread.setDaemon(true);
    }

    public ChangeListener start() {
        thread.start();
        return this;
    }

    private void loop() {
        long backoff = 200;
        while (running) {
            try (Connection c = connect()) {
                try (Statement st = c.createStatement()) {
                    st.execute("LISTEN auth_session_changed");
                }
                backoff = 200;
                PGConnection pg = c.unwrap(PGConnection.class);
                while (running) {
                    PGNotification[] ns = pg.getNotifications(POLL_MS);
                    if (ns != null) {
                        for (PGNotification n : ns) {
                            vertx.eventBus().publish(ADDRESS, n.getParameter());
                        }
                    }
                }
            } catch (SQLException e) {
                if (running) {
                    log.warn("LISTEN connection lost ({}); reconnecting in {} ms", e.getMessage(), backoff);
                    sleep(backoff);
                    backoff = Math.min(backoff * 2, 5000);
                }
            }
        }
    }

    private Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", config.user());
        if (config.password() != null) {
            p.setProperty("password", config.password());
        }
        p.setProperty("connectTimeout", "5");
        return DriverManager.getConnection(config.jdbcUrl(), p);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
