package dev.loginrelay.controller.embedded;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The embedded database lets in only who has its password, and a start after a crash stops the server the dead
 * controller left on its own data dir, never another's.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class EmbeddedDatabaseTest {

    @Test
    void refusesConnectionsWithoutThePasswordAndKeepsItsFilesPrivate(@TempDir Path dir) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir)) {
            assertThat(query(db.jdbcUrl(), db.password().reveal())).isEqualTo(1);
            assertThatThrownBy(() -> query(db.jdbcUrl(), null)).as("no password").isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> query(db.jdbcUrl(), "wrong")).as("wrong password")
                .isInstanceOf(SQLException.class);
            for (String f : List.of("database-password", "pgpass", "database.url")) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(f)))).as(f)
                    .isEqualTo("rw-------");
            }
            assertThat(Files.readString(dir.resolve("database.url"))).doesNotContain(db.password().reveal());
            assertThat(Files.readString(dir.resolve("pg/pg_hba.conf"))).doesNotContain("trust")
                .contains("scram-sha-256");
            assertThat(show(db, "listen_addresses")).isEqualTo("127.0.0.1");
            assertThat(show(db, "password_encryption")).isEqualTo("scram-sha-256");
        }
    }

    @Test
    void anotherUnixUserCannotConnect(@TempDir Path dir) throws Exception {
        assumeThat(Files.isExecutable(Path.of("/usr/sbin/runuser")) && Files.isExecutable(Path.of("/usr/bin/psql"))
            && isRoot()).as("root with runuser and psql").isTrue();
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir)) {
            String port = db.jdbcUrl().replaceAll(".*:(\\d+)/.*", "$1");
            // As nobody, even pointed at the controller's pgpass file: it cannot read it, and nothing is trusted.
            Process p = new ProcessBuilder("runuser", "-u", "nobody", "--", "env",
                "PGPASSFILE=" + dir.resolve("pgpass"), "psql", "-h", "127.0.0.1", "-p", port, "-U", "postgres",
                "-w", "-c", "SELECT 1", "postgres").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isNotZero();
            assertThat(out).contains("password");
        }
    }

    @Test
    void aStartAfterACrashStopsTheServerLeftOnItsOwnDataDirOnly(@TempDir Path dir) throws Exception {
        EmbeddedDatabase crashed = EmbeddedDatabase.start(dir.resolve("a")); // never closed: as after kill -9
        long stalePid = StalePostmaster.LockFile.read(dir.resolve("a/pg")).orElseThrow().pid();
        EmbeddedDatabase other = EmbeddedDatabase.start(dir.resolve("b"));
        try {
            // A lock file in b naming a's server: a's server is not b's, so b's start must leave it alone.
            Path fakeLock = Files.createDirectories(dir.resolve("c/pg")).resolve("postmaster.pid");
            Files.writeString(fakeLock, stalePid + "\n" + dir.resolve("c/pg") + "\n0\n5432\n");
            assertThat(StalePostmaster.check(dir.resolve("c/pg"))).isEqualTo(StalePostmaster.Verdict.UNPROVEN);
            assertThatThrownBy(() -> StalePostmaster.clear(dir.resolve("c/pg"))).hasMessageContaining("not provably");
            assertThat(ProcessHandle.of(stalePid).map(ProcessHandle::isAlive)).contains(true);

            assertThat(StalePostmaster.check(dir.resolve("a/pg"))).isEqualTo(StalePostmaster.Verdict.OURS);
            try (EmbeddedDatabase again = EmbeddedDatabase.start(dir.resolve("a"))) {
                assertThat(ProcessHandle.of(stalePid).map(ProcessHandle::isAlive).orElse(false))
                    .as("the stale server is gone").isFalse();
                assertThat(query(again.jdbcUrl(), again.password().reveal())).isEqualTo(1);
                assertThat(query(other.jdbcUrl(), other.password().reveal())).as("b's server untouched").isEqualTo(1);
            }
        } finally {
            other.close();
            crashed.close(); // its server is already gone; nothing to stop
        }
    }

    private static int query(String url, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("connectTimeout", "10");
        try (var c = DriverManager.getConnection(url, p); var rs = c.createStatement().executeQuery("SELECT 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static String show(EmbeddedDatabase db, String setting) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", db.password().reveal());
        try (var c = DriverManager.getConnection(db.jdbcUrl(), p);
             var rs = c.createStatement().executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static boolean isRoot() throws Exception {
        return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    }
}
