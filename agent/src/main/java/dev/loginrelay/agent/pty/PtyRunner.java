package dev.loginrelay.agent.pty;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Runs one CLI under a real pseudo-terminal (pty4j) on its own platform thread {@code pty-<runId>}: it starts the
 * process, reads the raw byte stream, feeds it to a {@link TerminalScanner} and hands the scanner's events to the
 * listener, then waits for the exit (pty4j Reaper/Gobbler). Nothing of the output is kept beyond the scanner's
 * bounded window. {@link #close()} always destroys the whole process tree and closes the streams.
 */
public final class PtyRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PtyRunner.class);
    /** Wide enough that Ink-rendered URLs are never hard-wrapped (docs/cli-facts.md §6, item 3). */
    public static final int COLUMNS = 1000;
    public static final int ROWS = 50;
    /**
     * A login being stopped is abandoned (its HOME is discarded), so its CLI gets a short chance to exit cleanly:
     * codex frees its fixed port only when gone, and the next codex login on the host waits for that.
     */
    private static final long KILL_GRACE_MS = 500;

    private final String runId;
    private final List<String> command;
    private final Map<String, String> env;
    private final Path directory;
    private final TerminalScanner scanner;
    private volatile PtyProcess process;
    private volatile boolean closed;
    private volatile String lastLine = "";

    public PtyRunner(String runId, List<String> command, Map<String, String> env, Path directory,
                     TerminalScanner scanner) {
        this.runId = Objects.requireNonNull(runId, "runId");
        this.command = List.copyOf(command);
        this.env = Map.copyOf(env);
        this.directory = Objects.requireNonNull(directory, "directory");
        this.scanner = Objects.requireNonNull(scanner, "scanner");
    }

    /**
     * Starts the reader thread. {@code onEvents} gets the scanner's events in order; {@code onExit} gets the exit
     * code once, after the output is drained ({@code -1} if the process could not start, with {@code onStartError}).
     */
    public void start(Consumer<List<ScanEvent>> onEvents, IntConsumer onExit, Consumer<String> onStartError) {
        Thread t = new Thread(() -> run(onEvents, onExit, onStartError), "pty-" + runId);
        t.setDaemon(true);
        t.start();
    }

    private void run(Consumer<List<ScanEvent>> onEvents, IntConsumer onExit, Consumer<String> onStartError) {
        try {
            process = new PtyProcessBuilder(command.toArray(String[]::new))
                .setEnvironment(env)
                .setDirectory(directory.toString())
                .setInitialColumns(COLUMNS)
                .setInitialRows(ROWS)
                .setConsole(false)
                .setRedirectErrorStream(true)
                .start();
        } catch (IOException | RuntimeException e) {
            // The message names the command (argv[0]) but never the environment.
            onStartError.accept("cannot start " + command.get(0) + ": " + e.getMessage());
            onExit.accept(-1);
            return;
        }
        if (closed) {
            destroyTree();
        }
        log.debug("run={} pid={} started {}", runId, process.pid(), command.get(0));
        byte[] buf = new byte[8192];
        try (InputStream in = process.getInputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                List<ScanEvent> events = scanner.feed(buf, 0, n);
                if (!events.isEmpty()) {
                    onEvents.accept(events);
                }
            }
        } catch (IOException e) {
            // EIO on the master side is how a PTY reports that the child closed the slave: normal end of output.
            log.debug("run={} pty read ended: {}", runId, e.getMessage());
        }
        List<ScanEvent> tail = scanner.finish();
        if (!tail.isEmpty()) {
            onEvents.accept(tail);
        }
        lastLine = scanner.lastLine();
        onExit.accept(waitForExit());
    }

    private int waitForExit() {
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Types into the terminal (an answer to a prompt, a pasted code plus Enter). Blocking: call off the loop. */
    public void write(String keys) throws IOException {
        PtyProcess p = process;
        if (p == null || !p.isAlive()) {
            throw new IOException("the CLI is not running");
        }
        OutputStream out = p.getOutputStream();
        out.write(keys.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** The CLI's last non-blank output line, once it has exited (unredacted: the caller redacts). */
    public String lastLine() {
        return lastLine;
    }

    public boolean isAlive() {
        PtyProcess p = process;
        return p != null && p.isAlive();
    }

    /** The CLI's pid, or -1 before it started. */
    public long pid() {
        PtyProcess p = process;
        return p == null ? -1 : p.pid();
    }

    /**
     * Ends the CLI and every process it started (codex's node launcher runs a native child, gemini relaunches
     * itself): SIGTERM to the tree, then SIGKILL to whatever is left after a grace period. Blocking.
     */
    public void destroyTree() {
        PtyProcess p = process;
        if (p == null) {
            return;
        }
        // pty4j's process has pid() but no toHandle()/descendants(), so go through ProcessHandle.
        ProcessHandle root = ProcessHandle.of(p.pid()).orElse(null);
        List<ProcessHandle> tree = new java.util.ArrayList<>();
        if (root != null) {
            tree.add(root);
            tree.addAll(root.descendants().toList());
        }
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(KILL_GRACE_MS);
        for (ProcessHandle h : tree) {
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) {
                    h.onExit().get(left, TimeUnit.NANOSECONDS);
                }
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
            }
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        }
        p.destroy();
    }

    /** Destroys the process tree and closes the PTY streams (pty4j: destroy() even after the process ended). */
    @Override
    public void close() {
        closed = true;
        destroyTree();
        PtyProcess p = process;
        if (p != null) {
            closeQuietly(p.getOutputStream());
            closeQuietly(p.getInputStream());
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing after the process ended; nothing to report
        }
    }
}
