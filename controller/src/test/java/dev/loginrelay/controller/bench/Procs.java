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

    static void killTree(ProcessHandle p) {
        List<ProcessHandle> children = p.descendants().toList();
        p.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
    }
}
