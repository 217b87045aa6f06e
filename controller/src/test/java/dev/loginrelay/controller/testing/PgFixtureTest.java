package dev.loginrelay.controller.testing;

import dev.loginrelay.controller.store.DbConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which PostgreSQL the tests ran on goes into the test report ({@code postgresql} entry), and the one asked for is
 * the one that ran: {@code LOGINRELAY_TEST_PG=container} means a container of {@code LOGINRELAY_TEST_PG_IMAGE}.
 */
class PgFixtureTest {
    @Test
    void reportsWhichPostgresqlRanAndItIsTheOneAskedFor(TestReporter report) throws Exception {
        PgFixture pg = PgFixture.instance();
        report.publishEntry("postgresql", pg.describe());
        String url = System.getenv("LOGINRELAY_TEST_PG_URL");
        String mode = System.getenv().getOrDefault("LOGINRELAY_TEST_PG", "auto");
        if (url != null && !url.isBlank()) {
            assertThat(pg.kind()).isEqualTo("external");
        } else if (mode.equals("container")) {
            assertThat(pg.kind()).isEqualTo("container image="
                + System.getenv().getOrDefault("LOGINRELAY_TEST_PG_IMAGE", PgContainer.DEFAULT_IMAGE) + " network="
                + ("host".equals(System.getenv("LOGINRELAY_TEST_PG_NETWORK")) ? "host" : "published-port"));
        } else if (mode.equals("embedded")) {
            assertThat(pg.kind()).isEqualTo("embedded");
        }
        assertThat(pg.describe()).contains("server=PostgreSQL ");

        DbConfig db = pg.newSchema();
        try (Connection c = PgFixture.connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t (id int PRIMARY KEY)");
            st.execute("INSERT INTO t VALUES (1)");
            try (ResultSet rs = st.executeQuery("SELECT current_schema(), count(*) FROM t GROUP BY 1")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).startsWith("t_");
                assertThat(rs.getInt(2)).isEqualTo(1);
            }
        }
    }
}
