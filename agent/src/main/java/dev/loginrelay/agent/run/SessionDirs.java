package dev.loginrelay.agent.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Collection;
import java.util.Set;

/**
 * Removes the work dirs ({@code <workDir>/sessions/<id>}: the CLI's HOME with its credentials, and its TMPDIR) of
 * runs the registry dropped, and of runs an earlier agent process left behind once they are older than the retention
 * time. Blocking: call on a worker.
 */
final class SessionDirs {
    private SessionDirs() {
    }

    /**
     * Deletes the dirs of {@code dropped}, then every other dir under {@code sessions} that no run in {@code known}
     * owns and that was last modified before {@code cutoff}. Returns how many dirs went.
     */
    static int removeExpired(Path sessions, Collection<String> dropped, Set<String> known, Instant cutoff) {
        int n = 0;
        for (String id : dropped) {
            n += delete(sessions.resolve(id)) ? 1 : 0;
        }
        if (!Files.isDirectory(sessions)) {
            return n;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(sessions, Files::isDirectory)) {
            for (Path d : dirs) {
                if (!known.contains(d.getFileName().toString())
                        && Files.getLastModifiedTime(d).toInstant().isBefore(cutoff)) {
                    n += delete(d) ? 1 : 0;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + sessions, e);
        }
        return n;
    }

    /** Deletes {@code dir} and everything under it; false when it was not there. */
    static boolean delete(Path dir) {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    if (e != null && !(e instanceof NoSuchFileException)) {
                        throw e;
                    }
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
