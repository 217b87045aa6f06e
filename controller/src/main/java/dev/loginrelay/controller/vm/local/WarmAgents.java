package dev.loginrelay.controller.vm.local;

import dev.loginrelay.controller.agents.AgentHandle;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which local agents run and how many sessions each serves. An agent takes up to {@code perAgent} sessions at once
 * (each login in its own 0700 HOME inside the agent), so most clicks find a started agent and wait for no JVM; at
 * least {@code minIdle} agents with room are kept started ahead. With {@code perAgent = 1} and {@code minIdle = 0}
 * it is one agent per session, started at the click. Pure bookkeeping, thread-safe; the pool starts and stops the
 * processes it is told to.
 */
final class WarmAgents {
    private final int perAgent;
    private final int minIdle;
    private final Map<String, Entry> agents = new LinkedHashMap<>();
    private int starting;

    private static final class Entry {
        final AgentHandle handle;
        int sessions;

        Entry(AgentHandle handle, int sessions) {
            this.handle = handle;
            this.sessions = sessions;
        }
    }

    WarmAgents(int perAgent, int minIdle) {
        if (perAgent < 1) {
            throw new IllegalArgumentException("sessions per agent cannot be less than 1, not " + perAgent);
        }
        if (minIdle < 0) {
            throw new IllegalArgumentException("idle agents cannot be less than 0, not " + minIdle);
        }
        this.perAgent = perAgent;
        this.minIdle = minIdle;
    }

    /** A started agent with room, now counting one more session; the fullest first, so idle ones can retire. */
    synchronized Optional<AgentHandle> take() {
        Optional<Entry> e = agents.values().stream().filter(a -> a.sessions < perAgent)
            .max(Comparator.comparingInt(a -> a.sessions));
        e.ifPresent(a -> a.sessions++);
        return e.map(a -> a.handle);
    }

    /** An agent that started (or was found again) with {@code sessions} already on it. */
    synchronized void add(AgentHandle handle, int sessions) {
        Entry e = agents.get(handle.agentId());
        if (e == null) {
            agents.put(handle.agentId(), new Entry(handle, sessions));
        } else {
            e.sessions += sessions;
        }
    }

    /** Counts a background start in flight (so one refill is asked for, not many). */
    synchronized boolean startIfNeeded() {
        long withRoom = agents.values().stream().filter(a -> a.sessions < perAgent).count();
        if (withRoom + starting >= minIdle) {
            return false;
        }
        starting++;
        return true;
    }

    synchronized void startEnded() {
        starting = Math.max(0, starting - 1);
    }

    /**
     * One session less on {@code agentId}. True when the agent should stop now: it serves no session and more
     * agents idle than are kept warm (or it is unknown here).
     */
    synchronized boolean giveBack(String agentId) {
        Entry e = agents.get(agentId);
        if (e == null) {
            return true;
        }
        e.sessions = Math.max(0, e.sessions - 1);
        long idle = agents.values().stream().filter(a -> a.sessions == 0).count();
        if (e.sessions == 0 && idle > minIdle) {
            agents.remove(agentId);
            return true;
        }
        return false;
    }

    /** Forgets and answers the agents that serve no session (to stop them). */
    synchronized List<String> removeIdle() {
        List<String> idle = agents.values().stream().filter(a -> a.sessions == 0).map(a -> a.handle.agentId())
            .toList();
        idle.forEach(agents::remove);
        return idle;
    }

    /** Forgets an agent that died or was stopped. */
    synchronized void remove(String agentId) {
        agents.remove(agentId);
    }

    synchronized boolean knows(String agentId) {
        return agents.containsKey(agentId);
    }

    synchronized List<String> ids() {
        return new ArrayList<>(agents.keySet());
    }

    /** {@code idle} agents (no session), {@code busy} ones, sessions served, starts in flight. */
    synchronized Map<String, Integer> counts() {
        int idle = (int) agents.values().stream().filter(a -> a.sessions == 0).count();
        int sessions = agents.values().stream().mapToInt(a -> a.sessions).sum();
        return Map.of("idle", idle, "busy", agents.size() - idle, "sessions", sessions, "starting", starting);
    }
}
