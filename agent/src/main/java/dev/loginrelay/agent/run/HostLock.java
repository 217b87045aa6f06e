package dev.loginrelay.agent.run;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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
