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
 * One PostgreSQL per test JVM, the first of:
 * <ol>
 *   <li>{@code LOGINRELAY_TEST_PG_URL} (a JDBC URL; user and password from {@code LOGINRELAY_TEST_PG_USER} /
 *       {@code LOGINRELAY_TEST_PG_PASSWORD} or in the URL), as on CI with Debian's PostgreSQL;</li>
 *   <li>a container (Testcontainers, {@link PgContainer}) of {@code LOGINRELAY_TEST_PG_IMAGE} (default the official
 *       {@code postgres:16}) when a Docker engine answers;</li>
 *   <li>embedded PostgreSQL (zonky).</li>
 * </ol>
 * {@code LOGINRELAY_TEST_PG=container} insists on the container (no engine, no image: the tests fail, they never
 * fall back), {@code =embedded} skips it. Stopped by a JVM shutdown hook. The log's {@code test database=} line and
 * {@link #describe()} say which PostgreSQL ran. Each test class takes its own schema from {@link #newSchema()}, so
 * classes never see each other's rows.
 */
public final class PgFixture {
    private static final Logger log = LoggerFactory.getLogger(PgFixture.class);
    private static final PgFixture INSTANCE = start();

    private final String baseUrl;
    private final String user;
    private final String password;
    private final boolean external;
    private final String kind;
    private final List<String> schemas = new ArrayList<>();
    private String server = "?";

    private PgFixture(String baseUrl, String user, String password, boolean external, String kind) {
        this.baseUrl = baseUrl;
        this.user = user;
        this.password = password;
        this.external = external;
        this.kind = kind;
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

    /** external, container or embedded. */
    public String kind() {
        return kind;
    }

    /** Which PostgreSQL runs the tests, e.g. "container image=postgres:16 server=PostgreSQL 16.9 (Debian ...)". */
    public String describe() {
        return kind + " " + server;
    }

    /** A plain JDBC connection outside any pool (for LISTEN, raw SQL), with the config's schema. */
    public static Connection connect(DbConfig config) throws SQLException {
        return DriverManager.getConnection(config.jdbcUrl(), config.user(), config.password());
    }

    private static PgFixture start() {
        PgFixture f = pick();
        f.server = f.serverVersion();
        log.info("test database={} {}", f.kind, f.server);
        return f;
    }

    private static PgFixture pick() {
        String url = System.getenv("LOGINRELAY_TEST_PG_URL");
        if (url != null && !url.isBlank()) {
            PgFixture f = new PgFixture(url, System.getenv("LOGINRELAY_TEST_PG_USER"),
                System.getenv("LOGINRELAY_TEST_PG_PASSWORD"), true, "external");
            Runtime.getRuntime().addShutdownHook(new Thread(f::dropSchemas, "pg-fixture-cleanup"));
            log.info("test database=external {}", DbConfig.of(url, f.user, f.password));
            return f;
        }
        String mode = System.getenv().getOrDefault("LOGINRELAY_TEST_PG", "auto").strip().toLowerCase(Locale.ROOT);
        if (!List.of("auto", "container", "embedded").contains(mode)) {
            throw new IllegalArgumentException("LOGINRELAY_TEST_PG must be auto, container or embedded, not " + mode);
        }
        if (mode.equals("container") || (mode.equals("auto") && PgContainer.engineAnswers())) {
            try {
                PgContainer c = PgContainer.start();
                return new PgFixture(c.jdbcUrl(), c.user(), c.password(), false, "container image=" + c.image()
                    + " network=" + c.network());
            } catch (RuntimeException e) {
                if (mode.equals("container")) {
                    throw e;
                }
                log.warn("test database: a Docker engine answers but the PostgreSQL container did not start ({});"
                    + " using embedded PostgreSQL (LOGINRELAY_TEST_PG=container makes this an error)", e.toString());
            }
        }
        try {
            long started = System.nanoTime();
            EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(pg), "pg-fixture-stop"));
            log.info("test database=embedded port={} startMs={}", pg.getPort(),
                (System.nanoTime() - started) / 1_000_000);
            return new PgFixture("jdbc:postgresql://localhost:" + pg.getPort() + "/postgres", "postgres", null, false,
                "embedded");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL (set LOGINRELAY_TEST_PG_URL to use "
                + "another server)", e);
        }
    }

    private String serverVersion() {
        try (Connection c = DriverManager.getConnection(baseUrl, user, password); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT version()")) {
            rs.next();
            return "server=" + rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException("the test database does not answer: " + e.getMessage(), e);
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
