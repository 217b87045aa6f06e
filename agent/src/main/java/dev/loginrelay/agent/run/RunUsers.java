package dev.loginrelay.agent.run;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Throw-away Unix users for the CLIs, when the agent runs as root ({@code --run-as}): each live login's CLI (and its
 * verify command) runs as a user no other live login has, owning its HOME (0700), so one login's CLI cannot read
 * another's files.
 * <p>
 * Making a user costs a {@code useradd} under /etc/passwd's lock, so users are kept and reused, host-wide: an agent
 * holds a user through an OS file lock on {@code <lock-dir>/run-users/<name>.lease} (dropped by the OS if the agent
 * dies), which names the run dir the user was given. When a run ends, a background janitor kills whatever its user
 * still runs (also outside the CLI's process tree), deletes what it left in the world-writable temp dirs and gives
 * its run's files back to the agent's user; only then may a later login get that user, exactly like a new user with
 * a reused uid. An agent that needs a user takes one of its own wiped ones, else one no agent holds (wiped the same
 * way first, the run dir its lease names included: its agent may have died mid-run), else makes one. Agents leave
 * their users at exit; an agent's start deletes those beyond {@link #KEEP} that no agent holds. Without root (or with
 * {@code --run-as self}) every CLI runs as the agent's own user, each in its own 0700 HOME. Blocking: call on workers.
 */
public final class RunUsers {
    private static final Logger log = LoggerFactory.getLogger(RunUsers.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Names are {@code lr} + 10 hex digits, in their own uid range, with this comment. */
    private static final String PREFIX = "lr";
    private static final String COMMENT = "loginrelay run user";
    /** The uids (and gids) run users get. */
    static final int UID_MIN = 200_000;
    static final int UID_MAX = 299_999;
    /** Unheld users kept on the host for reuse; more are deleted by an agent's start. */
    static final int KEEP = 32;
    /** World-writable dirs where a CLI may leave files outside its HOME; wiped of a user's files at its run's end. */
    private static final List<String> TEMP_DIRS = List.of("/tmp", "/var/tmp", "/dev/shm");
    private static final List<Path> BIN = List.of(Path.of("/usr/sbin"), Path.of("/usr/bin"), Path.of("/sbin"),
        Path.of("/bin"));
    /**
     * {@code $1}: the uid; then the temp dirs. Kills (a process killed with SIGKILL runs no more code, so nothing it
     * writes can follow), then deletes its entries in those dirs (and one level down). One shell, at the lowest CPU
     * and I/O priority: one process start from this JVM per wipe, and live logins go first.
     */
    private static final String WIPE = "PATH=/usr/sbin:/usr/bin:/sbin:/bin; uid=$1; shift; pkill -KILL -U \"$uid\"; "
        + "[ $# -eq 0 ] || find \"$@\" -xdev -mindepth 1 -maxdepth 2 -user \"$uid\" -prune "
        + "-exec rm -rf --one-file-system {} + ; exit 0";

    private final boolean enabled;
    private final String why;
    private final Path sessionsDir;
    private final Path leaseDir;
    /** The run users every {@code RunUsers} of this JVM holds, by name (guarded by the class's lock). */
    private static final java.util.Set<String> HELD = new java.util.HashSet<>();
    /** The users this agent holds (idle or in use), by name. */
    private final Map<String, Lease> held = new HashMap<>();
    /** Held, wiped, waiting for a login. */
    private final ArrayDeque<User> idle = new ArrayDeque<>();
    /** Wipes ended runs' users, one at a time, off the runs' own threads. */
    private final ExecutorService janitor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "run-users-janitor");
        t.setDaemon(true);
        return t;
    });
    private boolean closed;

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

    private record Lease(FileChannel channel, FileLock lock) {
        /** Records the run dir the user is given ("" once wiped). */
        void write(String runDir) throws IOException {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(runDir.getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
        }

        String read() throws IOException {
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(channel.size(), 4096));
            channel.read(b, 0);
            return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
        }

        void close() {
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                // closing the channel drops the lock anyway
            }
        }
    }

    private RunUsers(boolean enabled, String why, Path sessionsDir, Path leaseDir) {
        this.enabled = enabled;
        this.why = why;
        this.sessionsDir = sessionsDir;
        this.leaseDir = leaseDir;
    }

    /** Every CLI as the agent's own user. */
    public static RunUsers self(String why) {
        return new RunUsers(false, why, null, null);
    }

    /** {@link #of(String, Path, Path)} for this agent's {@code --run-as}, sessions dir and lock dir. Blocking. */
    public static RunUsers of(dev.loginrelay.agent.config.AgentConfig config) {
        return of(config.runAs(), RunHome.sessionsDir(config), config.lockDir());
    }

    /**
     * From {@code --run-as}: {@code self}: never; {@code users}: always (an IllegalArgumentException says why it
     * cannot be); {@code auto}: when the agent is root, has {@code useradd}, {@code userdel}, {@code setpriv},
     * {@code pkill} and {@code nice}, and other users can pass through to {@code sessionsDir} (each dir above it
     * allows others to search it), else the agent's own user, with the reason logged once. {@code lockDir}: the
     * host-wide lock dir every agent on the host shares (the users' leases live there). Blocking (file modes).
     */
    public static RunUsers of(String mode, Path sessionsDir, Path lockDir) {
        if (mode.equals("self")) {
            return self("--run-as self");
        }
        if (!mode.equals("auto") && !mode.equals("users")) {
            throw new IllegalArgumentException("--run-as must be auto, users or self, not '" + mode + "'");
        }
        String blocker = blocker(sessionsDir);
        if (blocker == null) {
            return new RunUsers(true, null, sessionsDir.toAbsolutePath().normalize(),
                lockDir.toAbsolutePath().normalize().resolve("run-users"));
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
        for (String t : List.of("useradd", "userdel", "setpriv", "pkill", "nice")) {
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
                        + PosixFilePermissions.toString(Files.getPosixFilePermissions(p))
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
     * A user for the run whose dir is {@code sessionDir}, given that dir (its HOME and TMPDIR inside, recursively);
     * the sessions dir above is made passable (0711) but not listable for others. Null when per-run users are off.
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
            u = adopt();
        }
        if (u == null) {
            u = make();
        }
        lease(u).write(sessionDir.toString()); // before the user owns anything there
        Files.setPosixFilePermissions(sessionDir.getParent(), PosixFilePermissions.fromString("rwx--x--x"));
        try (Stream<Path> all = Files.walk(sessionDir)) {
            for (Path f : all.toList()) {
                Files.setAttribute(f, "unix:uid", u.uid(), LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(f, "unix:gid", u.gid(), LinkOption.NOFOLLOW_LINKS);
            }
        }
        return u;
    }

    /** A run user of the host that no agent holds, now held here and wiped; null when there is none. */
    private User adopt() throws IOException, InterruptedException {
        for (User u : all()) {
            synchronized (this) {
                if (held.containsKey(u.name())) {
                    continue;
                }
            }
            Lease l = tryLease(u);
            if (l == null) {
                continue;
            }
            String runDir = l.read();
            wipe(u, runDir.isEmpty() ? null : Path.of(runDir));
            l.write("");
            log.info("run user {} taken over (no agent held it)", u.name());
            return u;
        }
        return null;
    }

    /** A new run user, held here from before it exists (so no other agent can take it first). */
    private User make() throws IOException, InterruptedException {
        String name = PREFIX + HexFormat.of().formatHex(bytes(5));
        User pending = new User(name, -1, -1);
        if (tryLease(pending) == null) {
            throw new IOException("cannot hold the lease of a new run user " + name);
        }
        try {
            // A uid range of their own, far from people's and system accounts'. Its passwd home is the sessions dir
            // (passable, not listable): never a login's HOME.
            passwd(List.of(tool("useradd"), "-K", "UID_MIN=" + UID_MIN, "-K", "UID_MAX=" + UID_MAX, "-K",
                "GID_MIN=" + UID_MIN, "-K", "GID_MAX=" + UID_MAX, "--user-group", "--no-create-home", "--home-dir",
                sessionsDir.toString(), "--shell", "/usr/sbin/nologin", "--comment", COMMENT, name));
            return new User(name, id("-u", name), id("-g", name));
        } catch (IOException | InterruptedException | RuntimeException e) {
            unlease(pending);
            throw e;
        }
    }

    /**
     * The run whose dir is {@code sessionDir} ended (its CLI's process tree is gone): in the background, one user at a
     * time so that a burst's end leaves the CPU to live logins, the user is wiped ({@link #wipe}) and only then waits
     * for a later login.
     */
    void release(User u, Path sessionDir) {
        if (u == null) {
            return;
        }
        try {
            janitor.execute(() -> {
                try {
                    wipe(u, sessionDir);
                    lease(u).write("");
                } catch (IOException | InterruptedException | RuntimeException e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    log.warn("cannot wipe run user {}: {}; no login gets it from this agent", u.name(), e.toString());
                    return; // still held: nobody gets it until this agent exits and another wipes it
                }
                synchronized (this) {
                    if (!closed) {
                        idle.push(u);
                        return;
                    }
                }
                unlease(u);
            });
        } catch (RejectedExecutionException e) {
            // the agent is stopping: the lease (naming the run dir) goes with it; whoever takes the user wipes it
        }
    }

    /**
     * Kills the user's processes, deletes what it left in the world-writable temp dirs, and gives the files it owns
     * in its run's dir back to the agent's user (it can write nowhere else: the sessions dir is the agent's,
     * passable only).
     */
    private static void wipe(User u, Path runDir) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(tool("nice"), "-n", "19", "/bin/sh", "-c", WIPE, "wipe",
            Integer.toString(u.uid())));
        cmd.addAll(TEMP_DIRS.stream().filter(d -> Files.isDirectory(Path.of(d))).toList());
        exec(cmd);
        reclaim(runDir, u.uid());
    }

    /**
     * Gives every file under {@code dir} that {@code uid} owns back to the agent's user: a later login that gets this
     * uid must own nothing of an earlier one (kept for the retention time with its credentials).
     */
    static void reclaim(Path dir, int uid) {
        if (dir == null || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path f : all.toList()) {
                try {
                    if ((Integer) Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS) == uid) {
                        Files.setAttribute(f, "unix:uid", 0, LinkOption.NOFOLLOW_LINKS);
                        Files.setAttribute(f, "unix:gid", 0, LinkOption.NOFOLLOW_LINKS);
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // deleted meanwhile (the retention sweep)
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            log.warn("cannot give the files under {} back to the agent's user: {}", dir, e.toString());
        }
    }

    /**
     * Deletes the host's run users beyond {@link #KEEP} that no agent holds (held one at a time while deleted, so no
     * agent takes one meanwhile). Answers how many went.
     */
    public int trim() {
        if (!enabled) {
            return 0;
        }
        int n = 0;
        try {
            List<User> free = new ArrayList<>();
            for (User u : all()) {
                synchronized (this) {
                    if (held.containsKey(u.name())) {
                        continue;
                    }
                }
                Lease l = tryLease(u);
                if (l != null) {
                    free.add(u);
                }
            }
            for (int i = 0; i < free.size(); i++) {
                User u = free.get(i);
                if (i < KEEP) {
                    unlease(u);
                    continue;
                }
                String runDir = lease(u).read();
                wipe(u, runDir.isEmpty() ? null : Path.of(runDir));
                passwd(List.of(tool("userdel"), u.name()), 0, 6); // 6: no such user
                unlease(u);
                Files.deleteIfExists(leaseDir.resolve(u.name() + ".lease"));
                n++;
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.warn("cannot trim the run users: {}", e.toString());
        }
        return n;
    }

    /** Stops lending users: finishes the wipes under way (at most 3 s) and lets go of every user (agent stop). */
    public void close() {
        synchronized (this) {
            closed = true;
        }
        janitor.shutdown();
        try {
            janitor.awaitTermination(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<String> names;
        synchronized (this) {
            idle.clear();
            names = List.copyOf(held.keySet());
        }
        // Users still in use name their run dir in their lease: whoever takes them next wipes them first.
        names.forEach(n -> unlease(new User(n, -1, -1)));
    }

    /** The host's run users, from /etc/passwd. */
    private static List<User> all() throws IOException {
        List<User> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/etc/passwd"), StandardCharsets.UTF_8)) {
            String[] f = line.split(":", -1);
            if (f.length < 5 || !f[0].matches(PREFIX + "[0-9a-f]{10}") || !f[4].startsWith(COMMENT)) {
                continue;
            }
            try {
                int uid = Integer.parseInt(f[2]);
                if (uid >= UID_MIN && uid <= UID_MAX) {
                    out.add(new User(f[0], uid, Integer.parseInt(f[3])));
                }
            } catch (NumberFormatException e) {
                // not ours
            }
        }
        return out;
    }

    /**
     * Takes the user's lease if no agent (this one included) holds it; null otherwise. Under one JVM-wide lock, and
     * never opening a lease file this JVM already holds: the OS's record locks belong to the process, and closing any
     * channel on a file would drop the lock another channel of this process holds on it.
     */
    private Lease tryLease(User u) throws IOException {
        synchronized (RunUsers.class) {
            if (HELD.contains(u.name())) {
                return null;
            }
            Files.createDirectories(leaseDir);
            FileChannel ch = FileChannel.open(leaseDir.resolve(u.name() + ".lease"), StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // cannot happen while HELD is right; the channel stays open rather than drop that lock
                return null;
            }
            if (lock == null) {
                ch.close(); // another process holds it; this process held no lock on the file
                return null;
            }
            HELD.add(u.name());
            Lease l = new Lease(ch, lock);
            synchronized (this) {
                held.put(u.name(), l);
            }
            return l;
        }
    }

    private synchronized Lease lease(User u) throws IOException {
        Lease l = held.get(u.name());
        if (l == null) {
            throw new IOException("run user " + u.name() + " is not held by this agent");
        }
        return l;
    }

    private void unlease(User u) {
        Lease l;
        synchronized (this) {
            l = held.remove(u.name());
        }
        if (l != null) {
            synchronized (RunUsers.class) {
                l.close();
                HELD.remove(u.name());
            }
        }
    }

    /**
     * useradd/userdel: one at a time in this JVM; other processes may hold /etc/passwd's lock ("cannot lock"), so
     * those are tried again for up to 10 s.
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
                if (!String.valueOf(e.getMessage()).contains("cannot lock") || System.nanoTime() > deadline) {
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
