package dev.loginrelay.controller.testing;

import dev.loginrelay.controller.store.DbConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One PostgreSQL per test JVM. Uses {@code LOGINRELAY_TEST_PG_URL} (a JDBC URL; user and password from {@code
 * LOGINRELAY_TEST_PG_USER} / {@code LOGINRELAY_TEST_PG_PASSWORD} or in the URL) when set, as on CI with Debian's
 * PostgreSQL; otherwise starts embedded PostgreSQL (zonky), stopped by a JVM shutdown hook. Each test class takes
 * its own schema from {@link #newSchema()}, so classes never see each other's rows.
 */
public final class PgFixture {
    private static final Logger log = LoggerFactory.getLogger(PgFixture.class);
    private static final PgFixture INSTANCE = start();

    private final String baseUrl;
    private final String user;
    private final String password;
    private final boolean external;
    private final List<String> schemas = new ArrayList<>();

    private PgFixture(String baseUrl, String user, String password, boolean external) {
        this.baseUrl = baseUrl;
        this.user = user;
        this.password = password;
        this.external = external;
    }

    /** The JVM's one instance, started on first use. */
    public static PgFixture instance() {
        return INSTANCE;
    }

    /**
     * Creates an empty schema with a random name and returns a config whose connections use it ({@code
     * currentSchema}), so Flyway's history and every table land there. Pool name "jdbc", pool size 10.
     */
    public synchronized DbConfig newSchema() {
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
        try (Connection c = DriverManager.getConnection(baseUrl, user, password); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test schema " + schema, e);
        }
        schemas.add(schema);
        return DbConfig.of(baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema, user, password);
    }

    /** A plain JDBC connection outside any pool (for LISTEN, raw SQL), with the config's schema. */
    public static Connection connect(DbConfig config) throws SQLException {
        return DriverManager.getConnection(config.jdbcUrl(), config.user(), config.password());
    }

    private static PgFixture start() {
        String url = System.getenv("LOGINRELAY_TEST_PG_URL");
        if (url != null && !url.isBlank()) {
            PgFixture f = new PgFixture(url, System.getenv("LOGINRELAY_TEST_PG_USER"),
                System.getenv("LOGINRELAY_TEST_PG_PASSWORD"), true);
            Runtime.getRuntime().addShutdownHook(new Thread(f::dropSchemas, "pg-fixture-cleanup"));
            log.info("test database=external {}", DbConfig.of(url, f.user, f.password));
            return f;
        }
        try {
            long started = System.nanoTime();
            EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(pg), "pg-fixture-stop"));
            log.info("test database=embedded port={} startMs={}", pg.getPort(),
                (System.nanoTime() - started) / 1_000_000);
            return new PgFixture("jdbc:postgresql://localhost:" + pg.getPort() + "/postgres", "postgres", null, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL (set LOGINRELAY_TEST_PG_URL to use "
                + "another server)", e);
        }
    }

    /** On a shared server, leave nothing behind; the embedded one is deleted whole. */
    private synchronized void dropSchemas() {
        if (!external || schemas.isEmpty()) {
            return;
        }
        try (Connection c = DriverManager.getConnection(baseUrl, user, password); Statement st = c.createStatement()) {
            for (String schema : schemas) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        } catch (SQLException e) {
            log.warn("could not drop test schemas {}: sqlstate={}", schemas, e.getSQLState());
        }
    }

    private static void closeQuietly(EmbeddedPostgres pg) {
        try {
            pg.close();
        } catch (IOException e) {
            log.warn("embedded PostgreSQL did not stop cleanly: {}", e.toString());
        }
    }
}
