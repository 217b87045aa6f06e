package dev.loginrelay.agent.run;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * A host-wide lock held for a whole login, shared by every agent process on the host through an OS file lock.
 * Codex's browser login binds the fixed port 1455 and a second one sends {@code /cancel} to the first, so logins in
 * one {@code exclusive} group queue behind each other here instead of killing each other. The OS drops the lock if
 * the agent dies, so a crash never leaves the group blocked.
 */
final class HostLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private HostLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock, or null when another login holds it. Blocking (file I/O): call off the event loop. */
    static HostLock tryAcquire(Path lockDir, String group) throws IOException {
        Files.createDirectories(lockDir);
        FileChannel ch = FileChannel.open(lockDir.resolve(group + ".lock"), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
        try {
            FileLock l = ch.tryLock();
            if (l != null) {
                return new HostLock(ch, l);
            }
        } catch (OverlappingFileLockException e) {
            // held by another run in this same JVM
        }
        ch.close();
        return null;
    }

    /**
     * A place in the line for a group's lock, so that logins get it in the order they asked for it, across every
     * agent process on the host: a file {@code <group>.queue/<micros>-<runId>} holding the owner's pid. Only the
     * oldest ticket whose owner is alive may take the lock. Blocking (file I/O): call off the event loop.
     */
    static final class Ticket {
        /** Run ids of logins started ahead of any session ({@code StartedAhead}) begin with this. */
        static final String AHEAD = "ahead-";
        private final Path file;

        private Ticket(Path file) {
            this.file = file;
        }

        static Ticket take(Path lockDir, String group, String runId) throws IOException {
            Path dir = Files.createDirectories(lockDir.resolve(group + ".queue"));
            java.time.Instant now = java.time.Instant.now();
            long micros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
            Path f = dir.resolve(String.format("%020d-%s", micros, runId.replaceAll("[^A-Za-z0-9_-]", "_")));
            Files.writeString(f, Long.toString(ProcessHandle.current().pid()));
            return new Ticket(f);
        }

        /**
         * True when no live ticket is older; tickets of processes that died are removed on the way. A session's
         * login does not wait behind logins started ahead (they give way, see {@link #sessionWaiting}); one started
         * ahead never goes before a session's.
         */
        boolean isFirst() throws IOException {
            boolean ahead = isAhead(file);
            if (ahead && sessionsIn(file.getParent(), file)) {
                return false;
            }
            List<Path> all;
            try (Stream<Path> s = Files.list(file.getParent())) {
                all = s.sorted().toList();
            }
            for (Path p : all) {
                if (p.equals(file)) {
                    return true;
                }
                if (!ownerAlive(p)) {
                    Files.deleteIfExists(p);
                    continue;
                }
                if (!ahead && isAhead(p)) {
                    continue;
                }
                return false;
            }
            return true; // our own ticket was removed (cleaned by another process): take our turn
        }

        private static boolean isAhead(Path ticket) {
            String name = ticket.getFileName().toString();
            return name.substring(name.indexOf('-') + 1).startsWith(AHEAD);
        }

        /**
         * Whether a session's login (not one started ahead) waits in {@code group}'s line on this host, in any agent
         * process. Blocking.
         */
        static boolean sessionWaiting(Path lockDir, String group) throws IOException {
            return sessionsIn(lockDir.resolve(group + ".queue"), null);
        }

        private static boolean sessionsIn(Path queue, Path except) throws IOException {
            if (!Files.isDirectory(queue)) {
                return false;
            }
            try (Stream<Path> s = Files.list(queue)) {
                return s.anyMatch(p -> !p.equals(except) && !isAhead(p) && ownerAlive(p));
            }
        }

        private static boolean ownerAlive(Path ticket) {
            try {
                long pid = Long.parseLong(Files.readString(ticket).strip());
                return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
            } catch (IOException | NumberFormatException e) {
                return false; // half-written or gone
            }
        }

        void remove() {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a leftover ticket of a live process blocks no one once the process exits
            }
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // closing the channel releases the lock anyway
        }
    }
}
