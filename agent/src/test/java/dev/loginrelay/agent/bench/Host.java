package dev.loginrelay.agent.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** What the benchmark reads from and does to the host: /proc, jcmd, loopback ports, process trees. Linux only. */
final class Host {
    private static final Pattern HEAP = Pattern.compile("total (\\d+)K, used (\\d+)K");

    private Host() {
    }

    /** A process's resident set and live thread count from {@code /proc/<pid>/status}. */
    record ProcStatus(long rssKiB, int threads) {
    }

    static ProcStatus status(long pid) throws IOException {
        long rss = -1;
        int threads = -1;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("\\D", ""));
            } else if (line.startsWith("Threads:")) {
                threads = Integer.parseInt(line.replaceAll("\\D", ""));
            }
        }
        return new ProcStatus(rss, threads);
    }

    /** The sum of VmRSS over a process's descendants (shared pages are counted once per process) and their count. */
    static long[] descendantsRssKiB(long pid) {
        long sum = 0;
        long count = 0;
        for (ProcessHandle h : ProcessHandle.of(pid).map(p -> p.descendants().toList()).orElse(List.of())) {
            try {
                sum += status(h.pid()).rssKiB();
                count++;
            } catch (IOException | RuntimeException e) {
                // exited between the listing and the read
            }
        }
        return new long[] {sum, count};
    }

    /** Heap committed and used (KiB) of a JVM after a full GC, through {@code jcmd}; {-1, -1} when jcmd fails. */
    static long[] heapAfterGc(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        Matcher m = HEAP.matcher(jcmd(pid, "GC.heap_info"));
        return m.find() ? new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))} : new long[] {-1, -1};
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        return run(List.of(jcmd.toString(), Long.toString(pid), command), 60);
    }

    /** Runs a short command and returns its output; fails (after killing it) when it takes over {@code seconds}. */
    static String run(List<String> cmd, int seconds) throws IOException, InterruptedException {
        Path out = Files.createTempFile("bench-cmd", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                killTree(p.toHandle(), 1000);
                throw new IOException(String.join(" ", cmd) + " did not finish in " + seconds + " s");
            }
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** True when nothing listens on 127.0.0.1:port (a bind succeeds). */
    static boolean loopbackPortFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** SIGTERM to the whole tree (root first collected with its descendants), SIGKILL to what is left after grace. */
    static void killTree(ProcessHandle root, long graceMs) {
        List<ProcessHandle> tree = new ArrayList<>();
        tree.add(root);
        tree.addAll(root.descendants().toList());
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMs);
        for (ProcessHandle h : tree) {
            try {
                long left = deadline - System.nanoTime();
                if (left > 0) {
                    h.onExit().get(left, TimeUnit.NANOSECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while killing pid " + root.pid(), e);
            } catch (Exception e) {
                // still alive: killed below
            }
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        }
    }

    /**
     * Live processes whose working directory is under {@code dir}. Every CLI the benchmark starts (through the agent
     * or through {@code script}) runs in a HOME under the benchmark's own fresh directory, so this finds exactly the
     * benchmark's leftovers and never another user's processes.
     */
    static List<ProcessHandle> processesUnder(Path dir) {
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            return List.of();
        }
        List<ProcessHandle> out = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).forEach(p -> {
                try {
                    if (Files.readSymbolicLink(p.resolve("cwd")).startsWith(real)) {
                        ProcessHandle.of(Long.parseLong(p.getFileName().toString())).ifPresent(out::add);
                    }
                } catch (IOException | RuntimeException e) {
                    // gone, or not ours to read
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return out;
    }

    /** {@code MemAvailable} from /proc/meminfo, in KiB. */
    static long memAvailableKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemAvailable:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IOException("no MemAvailable in /proc/meminfo");
    }

    /** Polls {@code cond} every 10 ms; fails naming {@code what} after {@code millis}. */
    static void await(BooleanSupplier cond, long millis, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + millis + " ms waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
