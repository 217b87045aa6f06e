package dev.loginrelay.controller.vm.local;

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
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Removes the dirs {@code <dataDir>/agents/<agentId>} of local agents that no longer run and have written nothing
 * for the retention time: their log, the session's diagnostics and the CLI's HOME with its credentials (about 3 MB
 * each). Blocking: call on a worker.
 */
final class AgentDirs {
    private static final Pattern AGENT_ID = Pattern.compile("local-[a-z0-9]{4,32}");

    private AgentDirs() {
    }

    /**
     * Deletes every agent dir under {@code config.agentsDir()} whose agent is not {@code running} (this provider's,
     * or a live process recorded in its {@code agent.json}) and whose last write is before {@code cutoff}. Returns the
     * ids removed.
     */
    static List<String> removeExpired(LocalPoolConfig config, Predicate<String> running, Instant cutoff) {
        List<String> removed = new ArrayList<>();
        if (!Files.isDirectory(config.agentsDir())) {
            return removed;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(config.agentsDir(), Files::isDirectory)) {
            for (Path d : dirs) {
                String id = d.getFileName().toString();
                if (AGENT_ID.matcher(id).matches() && !running.test(id) && lastWrite(d).isBefore(cutoff)
                        && LocalAgentProcess.load(config, id).isEmpty()) {
                    delete(d);
                    removed.add(id);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + config.agentsDir(), e);
        }
        return removed;
    }

    /** The newest modification time of the dir and of the files directly in it (the agent's log is appended). */
    private static Instant lastWrite(Path dir) throws IOException {
        Instant newest = Files.getLastModifiedTime(dir).toInstant();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                Instant t = Files.getLastModifiedTime(f, java.nio.file.LinkOption.NOFOLLOW_LINKS).toInstant();
                newest = t.isAfter(newest) ? t : newest;
            }
        }
        return newest;
    }

    private static void delete(Path dir) throws IOException {
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
    }
}
