package dev.loginrelay.controller.embedded;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A server left running by a controller that was killed ({@code kill -9} leaves the postmaster with PPID 1, still
 * holding the data dir). Found only through {@code postmaster.pid} in this data dir, and stopped only when the pid
 * is a {@code postgres} process whose working directory and lock-file data dir are this very dir: another data dir's
 * server, or a process that merely reuses the pid, is never touched. Linux ({@code /proc}); blocking.
 */
final class StalePostmaster {
    private static final Logger log = LoggerFactory.getLogger(StalePostmaster.class);

    /** What the lock file names: pid, data dir and port (lines 1, 2 and 4, per the PostgreSQL docs). */
    record LockFile(long pid, Path dataDir, Integer port) {
        static Optional<LockFile> read(Path pgData) {
            try {
                List<String> lines = Files.readAllLines(pgData.resolve("postmaster.pid"), StandardCharsets.UTF_8);
                if (lines.size() < 2) {
                    return Optional.empty();
                }
                Integer port = lines.size() >= 4 && lines.get(3).strip().matches("\\d{1,5}")
                    ? Integer.valueOf(lines.get(3).strip()) : null;
                return Optional.of(new LockFile(Long.parseLong(lines.get(0).strip()), Path.of(lines.get(1).strip()),
                    port));
            } catch (IOException | NumberFormatException e) {
                return Optional.empty();
            }
        }
    }

    /** What the pid of a lock file turned out to be. */
    enum Verdict {
        /** No lock file, or its pid is not running: nothing holds the dir. */
        NONE,
        /** A postgres process serving exactly this data dir. */
        OURS,
        /** The pid runs, but it is not a postgres: the pid was reused; the lock file is stale. */
        PID_REUSED,
        /** A postgres process whose data dir could not be proven to be this one: leave it alone. */
        UNPROVEN
    }

    private StalePostmaster() {
    }

    static Verdict check(Path pgData) throws IOException {
        Optional<LockFile> lock = LockFile.read(pgData);
        if (lock.isEmpty()) {
            return Verdict.NONE;
        }
        Optional<ProcessHandle> ph = ProcessHandle.of(lock.get().pid()).filter(ProcessHandle::isAlive);
        if (ph.isEmpty()) {
            return Verdict.NONE;
        }
        Path proc = Path.of("/proc", Long.toString(lock.get().pid()));
        String exe;
        try {
            exe = Files.readSymbolicLink(proc.resolve("exe")).getFileName().toString();
        } catch (IOException e) {
            return Verdict.UNPROVEN; // another user's process: not ours to judge
        }
        if (!exe.equals("postgres")) {
            return Verdict.PID_REUSED;
        }
        Path real = pgData.toRealPath();
        try {
            Path cwd = Files.readSymbolicLink(proc.resolve("cwd"));
            boolean sameDir = cwd.equals(real) && Files.isDirectory(lock.get().dataDir())
                && lock.get().dataDir().toRealPath().equals(real);
            return sameDir ? Verdict.OURS : Verdict.UNPROVEN;
        } catch (IOException e) {
            return Verdict.UNPROVEN;
        }
    }

    /**
     * Makes the data dir free to start on: stops our own leftover server (fast shutdown, then immediate), removes a
     * lock file whose pid was reused; fails naming the pid when the holder cannot be proven to be ours.
     */
    static void clear(Path pgData) throws IOException, InterruptedException {
        Verdict v = check(pgData);
        switch (v) {
            case NONE -> {
                return;
            }
            case PID_REUSED -> {
                log.info("removing stale {}: its pid now belongs to another program", pgData.resolve("postmaster.pid"));
                Files.deleteIfExists(pgData.resolve("postmaster.pid"));
                return;
            }
            case UNPROVEN -> throw new IOException("PostgreSQL pid " + LockFile.read(pgData).map(LockFile::pid)
                .orElse(-1L) + " holds " + pgData + " but is not provably this controller's server; stop it first");
            case OURS -> {
                long pid = LockFile.read(pgData).map(LockFile::pid).orElse(-1L);
                log.warn("embedded PostgreSQL pid={} of {} outlived its controller (crash?); stopping it", pid, pgData);
                stop(pid);
            }
        }
    }

    /**
     * Stops this controller's own server on {@code pgData} (the normal shutdown). Signals it directly: {@code pg_ctl
     * stop} from another user namespace (see {@link PgCommand}) cannot signal it.
     */
    static void stopOwn(Path pgData) throws IOException, InterruptedException {
        if (check(pgData) == Verdict.OURS) {
            stop(LockFile.read(pgData).map(LockFile::pid).orElseThrow());
        }
    }

    /** SIGINT is PostgreSQL's fast shutdown; after 10 s SIGKILL to it and what it forked. */
    private static void stop(long pid) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-INT", Long.toString(pid)).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        if (!awaitExit(pid, 10_000)) {
            log.warn("embedded PostgreSQL pid={} ignored a fast shutdown for 10 s; killing it", pid);
            ProcessHandle.of(pid).ifPresent(ph -> {
                List<ProcessHandle> children = ph.descendants().toList();
                ph.destroyForcibly();
                children.forEach(ProcessHandle::destroyForcibly);
            });
            awaitExit(pid, 5_000);
        }
    }

    private static boolean awaitExit(long pid, long ms) throws InterruptedException {
        long deadline = System.nanoTime() + ms * 1_000_000;
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }
}
