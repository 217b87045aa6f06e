package dev.loginrelay.controller.vm.fixed;

import dev.loginrelay.controller.vm.VmPoolContext;
import dev.loginrelay.controller.vm.VmPoolFactory;
import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.vm.CachedFuture;
import dev.loginrelay.controller.vm.CliCatalog;
import dev.loginrelay.controller.vm.VmPool;
import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.support.SecretFiles;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.Set;
import java.util.UUID;

/**
 * A {@link VmPool} over a fixed list of agents on VMs made elsewhere. {@link #acquire} hands out the agent with
 * the fewest sessions (round-robin on ties) that has room and answers {@code /health}, skipping those that do not;
 * {@link #release} gives the slot back. An agent serves at most its capacity (its own {@code capacity}, else
 * {@code LOGINRELAY_STATIC_SESSIONS_PER_AGENT}, else no limit); when every agent that answers is full, a session waits
 * (still {@code pending}) for the first slot that frees, in the order they asked. The counts are this replica's: two
 * replicas over one list each fill an agent up to its capacity. Nothing is started or stopped here.
 */
public final class FixedVmPool implements VmPool {
    /** {@code static}: agents on VMs made elsewhere, listed in {@code LOGINRELAY_STATIC_AGENTS}. */
    public static final class Factory implements VmPoolFactory {
        @Override
        public List<String> names() {
            return List.of("static", "fixed");
        }

        @Override
        public VmPool create(VmPoolContext ctx) {
            String spec = ctx.env().get("LOGINRELAY_STATIC_AGENTS");
            if (spec == null || spec.isBlank()) {
                throw new IllegalArgumentException(
                    "LOGINRELAY_STATIC_AGENTS is required when LOGINRELAY_VM_PROVIDER=static");
            }
            String perAgent = ctx.env().getOrDefault("LOGINRELAY_STATIC_SESSIONS_PER_AGENT", "0").strip();
            int capacity;
            try {
                capacity = Integer.parseInt(perAgent);
            } catch (NumberFormatException e) {
                capacity = -1;
            }
            if (capacity < 0) {
                throw new IllegalArgumentException("LOGINRELAY_STATIC_SESSIONS_PER_AGENT must be a whole number of "
                    + "sessions (0: no limit), not '" + perAgent + "'");
            }
            return new FixedVmPool(FixedAgent.parse(spec), ctx.agents(), capacity);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(FixedVmPool.class);
    private static final Duration CATALOG_TTL = Duration.ofMinutes(5);
    /** {@link #reserve}: every agent left to try is at its capacity. */
    private static final int FULL = -2;

    private final List<AgentHandle> agents;
    private final int[] handedOut;
    private final int[] capacity;
    /** Sessions waiting for a slot, first asked first served. */
    private final java.util.ArrayDeque<Promise<Void>> waiting = new java.util.ArrayDeque<>();
    private final AgentClient client;
    private final boolean ownsClient;
    private final CachedFuture<JsonObject> catalog;
    private int next;

    /** Reads every agent's token file (blocking, at startup): a missing one fails here, naming the agent. */
    public FixedVmPool(Vertx vertx, List<FixedAgent> agents) {
        this(agents, new AgentClient(vertx, Duration.ofSeconds(5)), true);
    }

    public FixedVmPool(List<FixedAgent> agents, AgentClient client) {
        this(agents, client, 0);
    }

    /** {@code perAgent}: the capacity of an agent that names none (0: no limit). */
    public FixedVmPool(List<FixedAgent> agents, AgentClient client, int perAgent) {
        this(agents, client, false, perAgent);
    }

    private FixedVmPool(List<FixedAgent> agents, AgentClient client, boolean ownsClient) {
        this(agents, client, ownsClient, 0);
    }

    private FixedVmPool(List<FixedAgent> agents, AgentClient client, boolean ownsClient, int perAgent) {
        if (agents.isEmpty()) {
            throw new IllegalArgumentException("the static VM provider needs at least one agent");
        }
        List<AgentHandle> handles = new ArrayList<>();
        for (FixedAgent a : agents) {
            try {
                handles.add(new AgentHandle(a.agentId(), a.baseUrl(), SecretFiles.read(a.tokenFile()), a.agentId(),
                    a.host()));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("static agent " + a.agentId() + ": cannot read its token file "
                    + a.tokenFile() + ": " + e.getMessage(), e);
            }
        }
        this.agents = List.copyOf(handles);
        this.handedOut = new int[handles.size()];
        this.capacity = agents.stream().mapToInt(a -> a.capacity() > 0 ? a.capacity()
            : perAgent > 0 ? perAgent : Integer.MAX_VALUE).toArray();
        this.client = client;
        this.ownsClient = ownsClient;
        this.catalog = new CachedFuture<>(CATALOG_TTL, () -> doctor(0, new ArrayList<>()));
    }

    /** Same as {@link FixedAgent#parse}. */
    public static List<FixedAgent> parse(String spec) {
        return FixedAgent.parse(spec);
    }

    @Override
    public String name() {
        return "static";
    }

    @Override
    public Future<AgentHandle> acquire(UUID sessionId) {
        return tryNext(sessionId, new HashSet<>(), new ArrayList<>(), false);
    }

    private Future<AgentHandle> tryNext(UUID sessionId, Set<Integer> tried, List<String> why, boolean woken) {
        int i = reserve(tried);
        if (i == FULL) {
            Promise<Void> slot = Promise.promise();
            synchronized (this) {
                if (woken) {
                    waiting.addFirst(slot); // it was first in line and keeps its place
                } else {
                    waiting.add(slot);
                }
            }
            log.info("session={} waits for a slot: every static agent that answers is at its capacity", sessionId);
            // Agents that did not answer are tried again: one may be back by then.
            return slot.future().compose(v -> tryNext(sessionId, new HashSet<>(), new ArrayList<>(), true));
        }
        if (i < 0) {
            return Future.failedFuture(new ApiException(ErrorCode.AGENT_UNAVAILABLE, "none of the " + agents.size()
                + " static agents answers /health: " + String.join("; ", why)));
        }
        AgentHandle a = agents.get(i);
        return client.health(a).map(ok -> {
            log.info("session={} placed on agent={} ({} sessions there)", sessionId, a.agentId(), count(i));
            return a;
        }).recover(e -> {
            unreserve(i, false); // that slot was never used: nobody waits for it
            log.warn("session={} skipping agent={}: {}", sessionId, a.agentId(), e.getMessage());
            why.add(a.agentId() + ": " + e.getMessage());
            tried.add(i);
            return tryNext(sessionId, tried, why, woken);
        });
    }

    /**
     * Takes a slot on the untried agent with room and the fewest sessions, the first from the round-robin cursor on
     * ties; {@link #FULL} when every untried agent is at its capacity, -1 when none is left to try.
     */
    private synchronized int reserve(Set<Integer> tried) {
        int best = -1;
        boolean full = false;
        for (int k = 0; k < agents.size(); k++) {
            int i = (next + k) % agents.size();
            if (tried.contains(i)) {
                continue;
            }
            if (handedOut[i] >= capacity[i]) {
                full = true;
            } else if (best < 0 || handedOut[i] < handedOut[best]) {
                best = i;
            }
        }
        if (best >= 0) {
            handedOut[best]++;
            next = (best + 1) % agents.size();
            return best;
        }
        return full ? FULL : -1;
    }

    /** Gives a slot back; with {@code wake}, the session waiting longest for one tries again. */
    private void unreserve(int i, boolean wake) {
        Promise<Void> first;
        synchronized (this) {
            handedOut[i] = Math.max(0, handedOut[i] - 1);
            first = wake ? waiting.poll() : null;
        }
        if (first != null) {
            first.complete();
        }
    }

    private synchronized int count(int i) {
        return handedOut[i];
    }

    /** Agents {@code idle} (no session) and {@code busy}, {@code sessions} served, sessions {@code waiting}. */
    @Override
    public synchronized java.util.Map<String, Integer> capacity() {
        int idle = 0;
        int sessions = 0;
        for (int n : handedOut) {
            idle += n == 0 ? 1 : 0;
            sessions += n;
        }
        return java.util.Map.of("idle", idle, "busy", agents.size() - idle, "sessions", sessions,
            "waiting", waiting.size());
    }

    /** How many sessions each agent has, by agent id (for logs and tests). */
    public synchronized java.util.Map<String, Integer> load() {
        java.util.Map<String, Integer> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < agents.size(); i++) {
            m.put(agents.get(i).agentId(), handedOut[i]);
        }
        return m;
    }

    @Override
    public Future<Void> release(AgentHandle handle) {
        int i = indexOf(handle.agentId());
        if (i < 0) {
            return Future.failedFuture(new IllegalArgumentException("not a static agent: " + handle.agentId()));
        }
        unreserve(i, true);
        return Future.succeededFuture();
    }

    /** Every agent is this provider's (all replicas share the list): one not found after a restart is lost. */
    @Override
    public Future<Predicate<String>> madeHere() {
        return Future.succeededFuture(id -> true);
    }

    @Override
    public Future<Optional<AgentHandle>> find(String agentId) {
        int i = indexOf(agentId);
        if (i < 0) {
            return Future.succeededFuture(Optional.empty());
        }
        AgentHandle a = agents.get(i);
        return client.health(a).map(ok -> {
            synchronized (this) {
                handedOut[i]++;
            }
            return Optional.of(a);
        }).otherwise(e -> Optional.empty());
    }

    /** The doctor report of the first agent that answers, shaped like the local provider's. */
    @Override
    public Future<JsonObject> providers() {
        return catalog.get();
    }

    private Future<JsonObject> doctor(int i, List<String> why) {
        if (i >= agents.size()) {
            return Future.failedFuture(new ApiException(ErrorCode.AGENT_UNAVAILABLE,
                "no static agent answers /api/v1/doctor: " + String.join("; ", why)));
        }
        AgentHandle a = agents.get(i);
        return client.doctor(a).map(CliCatalog::fromDoctor).recover(e -> {
            why.add(a.agentId() + ": " + e.getMessage());
            return doctor(i + 1, why);
        });
    }

    private int indexOf(String agentId) {
        for (int i = 0; i < agents.size(); i++) {
            if (agents.get(i).agentId().equals(agentId)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }
}
