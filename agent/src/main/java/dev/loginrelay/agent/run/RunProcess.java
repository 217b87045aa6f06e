package dev.loginrelay.agent.run;

import dev.loginrelay.agent.provider.ProviderSpec;
import dev.loginrelay.agent.pty.PtyRunner;
import dev.loginrelay.agent.pty.ScanEvent;
import dev.loginrelay.agent.pty.TerminalScanner;
import io.vertx.core.Future;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * The blocking side of a run, each call moved to a worker thread: the host lock, the fresh HOME, the CLI under its
 * PTY, typing into it, verification, and killing the process tree. {@link LoginRun} calls it from its context.
 */
final class RunProcess {
    private final String id;
    private final ProviderSpec spec;
    private final RunDeps deps;
    private volatile HostLock lock;
    private HostLock.Ticket ticket; // guarded by this
    private volatile PtyRunner pty;
    private volatile Path home;
    private volatile Map<String, String> env;
    private volatile Instant startedAt;
    private volatile boolean stopped;
    /** The run's own Unix user, when the agent makes them (root); null: the agent's. */
    private volatile RunUsers.User user;

    RunProcess(String id, ProviderSpec spec, RunDeps deps) {
        this.id = id;
        this.spec = spec;
        this.deps = deps;
    }

    Path home() {
        return home;
    }

    boolean isAlive() {
        PtyRunner p = pty;
        return p != null && p.isAlive();
    }

    /** The CLI's last output line after it exited, or "". */
    String lastLine() {
        PtyRunner p = pty;
        return p == null ? "" : p.lastLine();
    }

    /**
     * Tries the host lock of {@code group} when this run's turn has come (the first try takes a place in the line:
     * logins get the lock in the order they asked for it). False while another login holds it or is ahead.
     */
    Future<Boolean> tryLock(String group) {
        return deps.vertx().executeBlocking(() -> takeTurn(group), false);
    }

    private synchronized boolean takeTurn(String group) throws java.io.IOException {
        if (stopped) {
            return false;
        }
        if (ticket == null) {
            ticket = HostLock.Ticket.take(deps.config().lockDir(), group, id);
        }
        if (!ticket.isFirst()) {
            return false;
        }
        lock = HostLock.tryAcquire(deps.config().lockDir(), group);
        if (lock != null) {
            ticket.remove();
        }
        return lock != null;
    }

    /** Whether a session's login waits for this run's host lock group (so a login started ahead gives way). */
    Future<Boolean> sessionWaiting() {
        if (spec.exclusive() == null) {
            return Future.succeededFuture(false);
        }
        return deps.vertx().executeBlocking(() -> HostLock.Ticket.sessionWaiting(deps.config().lockDir(),
            spec.exclusive()), false);
    }

    /** Prepares HOME and starts the CLI under a PTY; completes with the resolved command's program name. */
    Future<String> launch(TerminalScanner scanner, Consumer<List<ScanEvent>> onEvents, IntConsumer onExit,
                          Consumer<String> onStartError) {
        return deps.vertx().executeBlocking(() -> {
            Path h = RunHome.prepare(deps.config(), id, spec);
            Map<String, String> e = new java.util.LinkedHashMap<>(RunHome.environment(deps.config(), h, id, spec));
            List<String> cmd = RunHome.resolveCommand(spec.command(), deps.config().runPath());
            RunUsers.User u;
            synchronized (this) {
                if (stopped) {
                    throw new IllegalStateException("run " + id + " ended before the CLI started");
                }
                u = deps.users().create(h.getParent());
                user = u;
            }
            if (u != null) {
                e.put("USER", u.name());
                e.put("LOGNAME", u.name());
                cmd = u.wrap(cmd);
            }
            home = h;
            env = e;
            synchronized (this) {
                if (stopped) {
                    throw new IllegalStateException("run " + id + " ended before the CLI started");
                }
                startedAt = Instant.now();
                pty = new PtyRunner(id, cmd, e, h, scanner);
                pty.start(onEvents, onExit, onStartError);
            }
            return String.join(" ", spec.command());
        }, false);
    }

    /** Types keys into the CLI's terminal. */
    Future<Void> write(String keys) {
        return deps.vertx().executeBlocking(() -> {
            PtyRunner p = pty;
            if (p == null) {
                throw new java.io.IOException("the CLI has not started");
            }
            p.write(keys);
            return null;
        }, false);
    }

    Future<Verifier.Result> verify(long timeoutMs) {
        RunUsers.User u = user;
        return deps.vertx().executeBlocking(() -> Verifier.verify(spec, home, env, startedAt,
            deps.config().runPath(), timeoutMs, u == null ? List.of() : u.wrap(List.of())), false);
    }

    /** Kills the process tree and releases the host lock; idempotent. Completes when the tree is gone. */
    Future<Void> stop() {
        return deps.vertx().<Void>executeBlocking(() -> {
            PtyRunner p;
            synchronized (this) {
                stopped = true;
                p = pty;
            }
            try {
                if (p != null) {
                    p.close();
                }
            } finally {
                release();
                RunUsers.User u;
                synchronized (this) {
                    u = user;
                    user = null;
                }
                // Kills anything the CLI left running as that user, and gives the run's files back to the agent.
                deps.users().release(u, RunHome.sessionDir(deps.config(), id));
            }
            return null;
        }, false);
    }

    synchronized void release() {
        if (ticket != null) {
            ticket.remove();
        }
        HostLock l = lock;
        lock = null;
        if (l != null) {
            l.close();
            deps.vertx().eventBus().publish(lockReleasedAddress(spec.exclusive()), id);
        }
    }

    /** Where the release of a host lock group is announced to the runs of this agent waiting for it. */
    static String lockReleasedAddress(String group) {
        return "loginrelay.host-lock.released." + group;
    }
}
