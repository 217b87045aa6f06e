package dev.loginrelay.agent.run;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Throw-away Unix users for the CLIs, when the agent runs as root ({@code --run-as}): each live login's CLI (and its
 * verify command) runs as a user no other live login has, owning its HOME (0700), so one user's CLI cannot read
 * another's files. When the run ends, everything that user still runs is killed and every file it owns under the
 * sessions dir is given back to the agent's user; only then may a later login get that user (a wiped uid, as a new
 * user would be; making one costs a {@code useradd} under /etc/passwd's lock, so up to {@link #MAX_IDLE} wait for
 * reuse). The agent deletes its users when it stops; users whose agent process died are deleted by any agent's sweep.
 * Without root (or with {@code --run-as self}) every CLI runs as the agent's own user, each in its own 0700 HOME.
 * Blocking: call on workers.
 */
public final class RunUsers {
    private static final Logger log = LoggerFactory.getLogger(RunUsers.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Names are {@code lr} + 10 hex digits; the comment marks the agent process that made them. */
    private static final String PREFIX = "lr";
    private static final String COMMENT = "loginrelay run user, agent pid ";
    /** The uids (and gids) run users get. */
    static final int UID_MIN = 200_000;
    static final int UID_MAX = 299_999;
    private static final List<Path> BIN = List.of(Path.of("/usr/sbin"), Path.of("/usr/bin"), Path.of("/sbin"),
        Path.of("/bin"));

    /** World-writable dirs where a CLI may leave files outside its HOME; wiped of a user's files at its run's end. */
    private static final List<String> TEMP_DIRS = List.of("/tmp", "/var/tmp", "/dev/shm");
    /** Wiped users kept for the next logins of this agent. */
    static final int MAX_IDLE = 32;

    private final boolean enabled;
    private final String why;
    private final Path sessionsDir;
    private final java.util.ArrayDeque<User> idle = new java.util.ArrayDeque<>();
    /** Wipes ended runs' users, one at a time, off the runs' own threads. */
    private final java.util.concurrent.ExecutorService janitor = java.util.concurrent.Executors.newSingleThreadExecutor(
        r -> {
            Thread t = new Thread(r, "run-users-janitor");
            t.setDaemon(true);
            return t;
        });
    private boolean closed;

    private RunUsers(boolean enabled, String why, Path sessionsDir) {
        this.enabled = enabled;
        this.why = why;
        this.sessionsDir = sessionsDir;
    }

    /** A run's user: its name and ids. */
    public record User(String name, int uid, int gid) {
        /** {@code command} run as this user: no supplementary groups, no way to gain privileges back. */
        List<String> wrap(List<String> command) {
            List<String> out = new ArrayList<>(List.of(tool("setpriv"), "--reuid=" + uid, "--regid=" + gid,
                "--clear-groups", "--no-new-privs", "--"));
            out.addAll(command);
            return out;
        }
    }

    /** Every CLI as the agent's own user. */
    public static RunUsers self(String why) {
        return new RunUsers(false, why, null);
    }

    /**
     * From {@code --run-as}: {@code self}: never; {@code users}: always (an IllegalArgumentException says why it
     * cannot be); {@code auto}: when the agent is root, has {@code useradd}, {@code userdel}, {@code setpriv} and
     * {@code pkill}, and other users can pass through to {@code sessionsDir} (each dir above it allows others to
     * search it), else the agent's own user, with the reason logged once.
     */
    public static RunUsers of(String mode, Path sessionsDir) {
        if (mode.equals("self")) {
            return self("--run-as self");
        }
        if (!mode.equals("auto") && !mode.equals("users")) {
            throw new IllegalArgumentException("--run-as must be auto, users or self, not '" + mode + "'");
        }
        String blocker = blocker(sessionsDir);
        if (blocker == null) {
            return new RunUsers(true, null, sessionsDir.toAbsolutePath().normalize());
        }
        if (mode.equals("users")) {
            throw new IllegalArgumentException("--run-as users: " + blocker);
        }
        return self(blocker);
    }

    /** Why per-run users cannot be used here; null when they can. */
    private static String blocker(Path sessionsDir) {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "the agent does not run as root";
        }
        for (String t : List.of("useradd", "userdel", "setpriv", "pkill", "pgrep")) {
            if (toolPath(t) == null) {
                return t + " is not installed (in " + BIN + ")";
            }
        }
        Path p = sessionsDir.toAbsolutePath().normalize().getParent();
        while (p != null) {
            try {
                if (Files.isDirectory(p) && !Files.getPosixFilePermissions(p)
                        .contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return "other users cannot pass through " + p + " (mode "
                        + java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p))
                        + ") to reach the sessions' HOMEs under " + sessionsDir;
                }
            } catch (IOException e) {
                return "cannot read the mode of " + p + ": " + e.getMessage();
            }
            p = p.getParent();
        }
        return null;
    }

    public boolean enabled() {
        return enabled;
    }

    /** Why the CLIs run as the agent's own user (null when per-run users are on). */
    public String why() {
        return why;
    }

    /**
     * A user for the run whose dir is {@code sessionDir} (a wiped one waiting for reuse, else a new one), given that
     * dir (its HOME and TMPDIR inside, recursively). The sessions dir above is made passable (0711) but not listable
     * for others. Null when per-run users are off.
     */
    User create(Path sessionDir) throws IOException, InterruptedException {
        if (!enabled) {
            return null;
        }
        User u;
        synchronized (this) {
            u = idle.poll();
        }
        if (u == null) {
            String name = PREFIX + HexFormat.of().formatHex(bytes(5));
            // A uid range of their own, far from people's and system accounts', with room for many logins at once.
            // Its passwd home is the sessions dir (passable, not listable): never another login's HOME.
            passwd(List.of(tool("useradd"), "-K", "UID_MIN=" + UID_MIN, "-K", "UID_MAX=" + UID_MAX, "-K",
                "GID_MIN=" + UID_MIN, "-K", "GID_MAX=" + UID_MAX, "--user-group", "--no-create-home", "--home-dir",
                sessionsDir.toString(), "--shell", "/usr/sbin/nologin", "--comment",
                COMMENT + ProcessHandle.current().pid(), name));
            u = new User(name, id("-u", name), id("-g", name));
        }
        Files.setPosixFilePermissions(sessionDir.getParent(),
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        try (Stream<Path> all = Files.walk(sessionDir)) {
            for (Path f : all.toList()) {
                Files.setAttribute(f, "unix:uid", u.uid(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(f, "unix:gid", u.gid(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
            }
        }
        return u;
    }

    /**
     * The run whose dir is {@code sessionDir} ended (its CLI's process tree is gone): in the background, one user at a
     * time so that a burst's end does not take the CPU from live logins, kills whatever its user still runs (also
     * outside the CLI's process tree), deletes what it left in the host's world-writable temp dirs, gives its run's
     * files back to the agent's user, then keeps the wiped user for a later login (or deletes it). Until then no
     * login gets that user.
     */
    void release(User u, Path sessionDir) {
        if (u == null) {
            return;
        }
        try {
            janitor.execute(() -> {
                try {
                    wipe(u, sessionDir);
                } catch (IOException | InterruptedException | RuntimeException e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    log.warn("cannot wipe run user {}: {}; deleting it", u.name(), e.toString());
                    delete(u);
                    return;
                }
                synchronized (this) {
                    if (!closed && idle.size() < MAX_IDLE) {
                        idle.push(u);
                        return;
                    }
                }
                delete(u);
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            delete(u); // the agent is stopping
        }
    }

    /**
     * Kills the user's processes, deletes what it left in the world-writable temp dirs, and gives its run's files
     * back to the agent's user (it can write nowhere else: the sessions dir is the agent's, passable only). One
     * shell for the first two, so one process start from this JVM.
     */
    private static void wipe(User u, Path sessionDir) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", WIPE, "wipe", Integer.toString(u.uid())));
        cmd.addAll(TEMP_DIRS.stream().filter(d -> Files.isDirectory(Path.of(d))).toList());
        exec(cmd);
        reclaim(sessionDir, u.uid());
    }

    /**
     * {@code $1}: the uid; then the temp dirs. Kills, waits (at most 1 s) until nothing of the uid runs, deletes its
     * entries in those dirs (and one level down).
     */
    private static final String WIPE = "PATH=/usr/sbin:/usr/bin:/sbin:/bin; uid=$1; shift; " + "pkill -KILL -U \"$uid\"; n=0; "
        + "while pgrep -U \"$uid\" >/dev/null && [ $n -lt 50 ]; do sleep 0.02; n=$((n+1)); done; "
        + "[ $# -eq 0 ] || find \"$@\" -xdev -mindepth 1 -maxdepth 2 -user \"$uid\" -prune "
        + "-exec rm -rf --one-file-system {} + ; exit 0";

    /** Stops lending users: finishes the wipes under way (at most 3 s), then deletes the idle users (agent stop). */
    public void close() {
        synchronized (this) {
            closed = true;
        }
        janitor.shutdown();
        try {
            janitor.awaitTermination(3, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<User> all;
        synchronized (this) {
            all = List.copyOf(idle);
            idle.clear();
        }
        all.forEach(RunUsers::delete);
    }

    /**
     * Gives every file under {@code dir} that {@code uid} owns (any uid of the run users' range when negative) back to
     * the agent's user: a uid that a later login gets must own nothing of an earlier one (kept for the retention time
     * with its credentials).
     */
    static void reclaim(Path dir, int uid) {
        if (dir == null || !Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path f : all.toList()) {
                try {
                    int owner = (Integer) Files.getAttribute(f, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
                    if (uid >= 0 ? owner == uid : owner >= UID_MIN && owner <= UID_MAX) {
                        Files.setAttribute(f, "unix:uid", 0, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                        Files.setAttribute(f, "unix:gid", 0, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // deleted meanwhile (a sweep of old dirs)
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            log.warn("cannot give the files under {} back to the agent's user: {}", dir, e.toString());
        }
    }

    /** Kills whatever the user still runs, then deletes the user. Quiet when already gone. */
    static void delete(User u) {
        try {
            exec(List.of(tool("pkill"), "-KILL", "-U", Integer.toString(u.uid())), 0, 1); // 1: nothing to kill
            passwd(List.of(tool("userdel"), u.name()), 0, 6); // 6: no such user
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.warn("cannot delete run user {}: {}", u.name(), e.getMessage());
        }
    }

    /**
     * Deletes the run users whose agent process is gone (a crash, a kill): read from {@code /etc/passwd}. Answers how
     * many went.
     */
    public int sweep() {
        if (!enabled) {
            return 0;
        }
        int n = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"), StandardCharsets.UTF_8)) {
                String[] f = line.split(":", -1);
                if (f.length < 5 || !f[0].matches(PREFIX + "[0-9a-f]{10}") || !f[4].startsWith(COMMENT)
                    || Integer.parseInt(f[2]) < UID_MIN || Integer.parseInt(f[2]) > UID_MAX) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(f[4].substring(COMMENT.length()).strip());
                } catch (NumberFormatException e) {
                    continue;
                }
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                User dead = new User(f[0], Integer.parseInt(f[2]), Integer.parseInt(f[3]));
                delete(dead);
                if (f.length > 5 && !f[5].isEmpty()) {
                    reclaim(Path.of(f[5]), dead.uid()); // its passwd home is its agent's sessions dir
                }
                n++;
            }
        } catch (IOException | RuntimeException e) {
            log.warn("cannot sweep leftover run users: {}", e.getMessage());
        }
        return n;
    }

    /**
     * useradd/userdel: one at a time in this JVM; other agents on the host may hold /etc/passwd's lock (exit 1 or
     * 10, "cannot lock"), so those are tried again for up to 10 s.
     */
    private static void passwd(List<String> cmd, int... ok) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                synchronized (RunUsers.class) {
                    exec(cmd, ok);
                }
                return;
            } catch (IOException e) {
                String m = String.valueOf(e.getMessage());
                boolean locked = m.contains("cannot lock") || m.contains(" exited 10:") && m.contains("lock");
                if (!locked || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(20 + RANDOM.nextInt(80));
            }
        }
    }

    private static int id(String flag, String name) throws IOException, InterruptedException {
        return Integer.parseInt(exec(List.of("id", flag, name)).strip());
    }

    private static String exec(List<String> cmd, int... ok) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " did not finish in 30 s");
        }
        int code = p.exitValue();
        boolean fine = ok.length == 0 ? code == 0 : java.util.Arrays.stream(ok).anyMatch(c -> c == code);
        if (!fine) {
            throw new IOException(cmd.get(0) + " " + cmd.get(cmd.size() - 1) + " exited " + code + ": "
                + new String(out, StandardCharsets.UTF_8).strip());
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private static String tool(String name) {
        Path p = toolPath(name);
        return p == null ? name : p.toString();
    }

    private static Path toolPath(String name) {
        return BIN.stream().map(d -> d.resolve(name)).filter(Files::isExecutable).findFirst().orElse(null);
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
