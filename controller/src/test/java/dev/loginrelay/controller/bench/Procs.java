package dev.loginrelay.controller.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Processes on this host as /proc shows them: RSS, command lines, trees. Linux only. */
final class Procs {
    private Procs() {
    }

    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Resident set size in KiB, 0 when the process is gone. */
    static long rssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return 0;
    }

    /** The real uid of a process, -1 when it is gone. */
    static int uid(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    static Optional<String> cmdline(ProcessHandle p) {
        try {
            return Optional.of(Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline")).replace('\0', ' '));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The agent JVMs started for this data dir. */
    static List<ProcessHandle> agents(Path dataDir) {
        String marker = dataDir.toAbsolutePath().toString();
        return ProcessHandle.allProcesses().filter(p -> cmdline(p).map(c -> c.contains("loginrelay-agent.jar")
            && c.contains(marker)).orElse(false)).toList();
    }

    /**
     * The CLI processes (any depth below the agent JVMs of this data dir) that run in one of these sessions' HOMEs:
     * their working directory is {@code agents/<agent>/sessions/<session>/home}, which for a login started ahead and
     * taken by a session is a link to the run's own dir. Logins still waiting ahead are not among them.
     */
    static List<ProcessHandle> sessionClis(Path dataDir, java.util.Collection<String> sessionIds) {
        java.util.Set<Path> homes = new java.util.HashSet<>();
        try (var agentDirs = Files.list(dataDir.resolve("agents"))) {
            for (Path a : agentDirs.toList()) {
                for (String id : sessionIds) {
                    Path home = a.resolve("sessions").resolve(id).resolve("home");
                    try {
                        homes.add(home.toRealPath());
                    } catch (IOException e) {
                        // not on this agent, or gone
                    }
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return agents(dataDir).stream().flatMap(ProcessHandle::descendants).filter(p -> {
            try {
                return homes.contains(Path.of("/proc", Long.toString(p.pid()), "cwd").toRealPath());
            } catch (IOException e) {
                return false;
            }
        }).toList();
    }

    /** Whether a listener could bind {@code 127.0.0.1:port} now (codex's fixed callback port is free). */
    static boolean portFree(int port) {
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void killTree(ProcessHandle p) {
        List<ProcessHandle> children = p.descendants().toList();
        p.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
    }
}
