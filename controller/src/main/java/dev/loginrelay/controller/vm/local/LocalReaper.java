package dev.loginrelay.controller.vm.local;

import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * After a controller restart, finds every agent process of this data dir that is still running and stops those no
 * live session owns: agents of sessions that ended while the controller was down, and agents a killed controller was
 * still starting (launched, but not yet in a session's row). An agent is recognised by its command line
 * ({@code --work-dir <dataDir>/agents/<agentId>}), so one started a moment before a crash and not yet in its
 * {@code agent.json} is found too; where the record exists, its pid and start time must match the process (a reused
 * pid is never killed). Blocking; call off the event loop.
 */
final class LocalReaper {
    private static final Logger log = LoggerFactory.getLogger(LocalReaper.class);
    private static final long GRACE_MS = 5_000;

    private LocalReaper() {
    }

    /** A running agent process of this data dir. */
    record Found(String agentId, ProcessHandle process) {
    }

    static List<Found> running(LocalPoolConfig c) {
        Path agents = c.agentsDir().toAbsolutePath().normalize();
        List<Found> out = new ArrayList<>();
        ProcessHandle.allProcesses().filter(ProcessHandle::isAlive).forEach(ph -> workDir(ph)
            .filter(dir -> agents.equals(dir.getParent()))
            .map(dir -> dir.getFileName().toString())
            .filter(id -> recordMatches(c, id, ph))
            .ifPresent(id -> out.add(new Found(id, ph))));
        return out;
    }

    /** Stops the agents of this data dir whose id is not in {@code owned}; returns how many. */
    static int reap(LocalPoolConfig c, Set<String> owned) {
        List<Found> orphans = running(c).stream().filter(f -> !owned.contains(f.agentId())).toList();
        orphans.forEach(f -> log.warn("agent={} pid={} belongs to no live session (left by a crash or by a session "
            + "that ended while the controller was down); stopping it", f.agentId(), f.process().pid()));
        orphans.forEach(f -> f.process().destroy());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GRACE_MS);
        for (Found f : orphans) {
            try {
                f.process().onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                List<ProcessHandle> children = f.process().descendants().toList();
                f.process().destroyForcibly();
                children.forEach(ProcessHandle::destroyForcibly);
            }
        }
        return orphans.size();
    }

    private static Optional<Path> workDir(ProcessHandle ph) {
        String[] args = ph.info().arguments().orElse(null);
        if (args == null || !List.of(args).contains("--token-file")) {
            return Optional.empty();
        }
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--work-dir")) {
                return Optional.of(Path.of(args[i + 1]).toAbsolutePath().normalize());
            }
        }
        return Optional.empty();
    }

    /** No record yet (started a moment before a crash), or one whose pid and start time are this process's. */
    private static boolean recordMatches(LocalPoolConfig c, String agentId, ProcessHandle ph) {
        Optional<JsonObject> r = LocalAgentProcess.readRecord(c.agentDir(agentId));
        if (r.isEmpty() || r.get().getLong("pid") == null) {
            return true;
        }
        Long started = r.get().getLong("startedAt");
        return r.get().getLong("pid") == ph.pid() && (started == null
            || started.equals(ph.info().startInstant().map(Instant::toEpochMilli).orElse(null)));
    }
}
