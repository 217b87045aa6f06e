package dev.loginrelay.controller.vm.fixed;

import dev.loginrelay.controller.vm.AgentSlots;
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
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.Set;
import java.util.UUID;

/**
 * A {@link VmPool} over a fixed list of agents on VMs made elsewhere. {@link #acquire} hands out the agent with
 * the fewest sessions (round-robin on ties) that has room and answers {@code /health}, skipping those that do not;
 * {@link #release} gives the slot back. An agent serves at most its capacity (its own {@code capacity}, else
 * {@code LOGINRELAY_STATIC_SESSIONS_PER_AGENT}, else no limit); when every agent that answers is full, a session waits
 * (still {@code pending}) for the first slot that frees, in the order this replica's sessions asked. The slots are
 * {@link AgentSlots}: in the controller, a table every replica over the same list shares, so an agent's last slot
 * goes to exactly one of them, and a session waiting here polls for a slot another replica frees. Nothing is started
 * or stopped here.
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
            List<FixedAgent> agents = FixedAgent.parse(spec);
            AgentSlots slots = ctx.slots() == null ? AgentSlots.inMemory() : ctx.slots().get();
            try {
                return new FixedVmPool(agents, ctx.agents(), capacity, slots, ctx.vertx());
            } catch (RuntimeException e) {
                slots.close();
                throw e;
            }
        }
    }

    private static final Logger log = LoggerFactory.getLogger(FixedVmPool.class);
    private static final Duration CATALOG_TTL = Duration.ofMinutes(5);
    /** How often the first waiting session looks for a slot another replica freed. */
    static final Duration POLL = Duration.ofMillis(500);

    private final List<AgentHandle> agents;
    private final AgentSlots slots;
    private final SlotQueue queue;
    private final Placement placement;
    /**
     * The sessions this replica placed, by agent index, oldest first: what a release naming no session frees. Found
     * ones are left out: a replica that only relays a callback would otherwise keep them forever.
     */
    private final Map<UUID, Integer> here = new LinkedHashMap<>();
    private final AgentClient client;
    private final boolean ownsClient;
    private final CachedFuture<JsonObject> catalog;

    /** Reads every agent's token file (blocking, at startup): a missing one fails here, naming the agent. */
    public FixedVmPool(Vertx vertx, List<FixedAgent> agents) {
        this(agents, new AgentClient(vertx, Duration.ofSeconds(5)), true, 0, AgentSlots.inMemory(), vertx);
    }

    public FixedVmPool(List<FixedAgent> agents, AgentClient client) {
        this(agents, client, 0);
    }

    /** {@code perAgent}: the capacity of an agent that names none (0: no limit). Counts in this process only. */
    public FixedVmPool(List<FixedAgent> agents, AgentClient client, int perAgent) {
        this(agents, client, false, perAgent, AgentSlots.inMemory(), null);
    }

    /**
     * Counts in {@code slots}, which the pool closes; {@code vertx} runs the poll for slots freed elsewhere (required
     * when the slots are {@linkplain AgentSlots#shared() shared}).
     */
    public FixedVmPool(List<FixedAgent> agents, AgentClient client, int perAgent, AgentSlots slots, Vertx vertx) {
        this(agents, client, false, perAgent, slots, vertx);
    }

    private FixedVmPool(List<FixedAgent> agents, AgentClient client, boolean ownsClient, int perAgent,
                        AgentSlots slots, Vertx vertx) {
        if (agents.isEmpty()) {
            throw new IllegalArgumentException("the static VM provider needs at least one agent");
        }
        if (slots.shared() && vertx == null) {
            throw new IllegalArgumentException("shared slots need a Vert.x to poll for slots freed elsewhere");
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
        int[] capacity = agents.stream().mapToInt(a -> a.capacity() > 0 ? a.capacity()
            : perAgent > 0 ? perAgent : Integer.MAX_VALUE).toArray();
        this.slots = slots;
        this.queue = new SlotQueue(slots.shared() ? vertx : null, POLL);
        this.placement = new Placement(handles.stream().map(AgentHandle::agentId).toList(), capacity, slots, queue);
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

    /** A session that asks for an agent holds none: a slot an earlier try left (a crash before placing) goes first. */
    @Override
    public Future<AgentHandle> acquire(UUID sessionId) {
        long ticket = queue.ticket();
        return slots.release(sessionId).compose(v -> place(sessionId, ticket, new HashSet<>(), new ArrayList<>()));
    }

    /** Claims a slot in this replica's turn, then checks the agent with the turn passed on. */
    private Future<AgentHandle> place(UUID sessionId, long ticket, Set<Integer> tried, List<String> why) {
        return placement.claim(sessionId, ticket, tried).compose(i -> {
            if (i < 0) {
                return Future.failedFuture(new ApiException(ErrorCode.AGENT_UNAVAILABLE, "none of the "
                    + agents.size() + " static agents answers /health: " + String.join("; ", why)));
            }
            AgentHandle a = agents.get(i);
            return client.health(a).map(ok -> {
                synchronized (this) {
                    here.put(sessionId, i);
                }
                log.info("session={} placed on agent={}", sessionId, a.agentId());
                return a;
            }).recover(e -> {
                log.warn("session={} skipping agent={}: {}", sessionId, a.agentId(), e.getMessage());
                why.add(a.agentId() + ": " + e.getMessage());
                tried.add(i);
                // That slot was never used: it goes back without waking anyone, and this session keeps its place.
                return slots.release(sessionId).compose(v -> place(sessionId, ticket, tried, why));
            });
        });
    }

    /** Agents {@code idle} (no session) and {@code busy}, {@code sessions} served, sessions {@code waiting}. */
    @Override
    public Map<String, Integer> capacity() {
        Map<String, Integer> load = load();
        int idle = (int) load.values().stream().filter(n -> n == 0).count();
        int sessions = load.values().stream().mapToInt(Integer::intValue).sum();
        return Map.of("idle", idle, "busy", agents.size() - idle, "sessions", sessions, "waiting", queue.size());
    }

    /** How many sessions each agent has (on every replica sharing the slots), by agent id, as last read. */
    public Map<String, Integer> load() {
        Map<String, Integer> known = slots.known();
        Map<String, Integer> m = new LinkedHashMap<>();
        for (AgentHandle a : agents) {
            m.put(a.agentId(), known.getOrDefault(a.agentId(), 0));
        }
        return m;
    }

    /** Frees the slot of the oldest session this replica placed on the agent (prefer the form naming the session). */
    @Override
    public Future<Void> release(AgentHandle handle) {
        UUID oldest = null;
        synchronized (this) {
            for (Map.Entry<UUID, Integer> e : here.entrySet()) {
                if (agents.get(e.getValue()).agentId().equals(handle.agentId())) {
                    oldest = e.getKey();
                    break;
                }
            }
        }
        return oldest == null ? Future.succeededFuture() : release(handle, oldest);
    }

    @Override
    public Future<Void> release(AgentHandle handle, UUID sessionId) {
        if (indexOf(handle.agentId()) < 0) {
            return Future.failedFuture(new IllegalArgumentException("not a static agent: " + handle.agentId()));
        }
        synchronized (this) {
            here.remove(sessionId);
        }
        return slots.release(sessionId).onSuccess(v -> queue.freed());
    }

    /** Every agent is this provider's (all replicas share the list): one not found after a restart is lost. */
    @Override
    public Future<Predicate<String>> madeHere() {
        return Future.succeededFuture(id -> true);
    }

    /** The agent if it answers; counts nothing (no session is named): see {@link #find(String, UUID)}. */
    @Override
    public Future<Optional<AgentHandle>> find(String agentId) {
        return find(agentId, null);
    }

    /** The agent if it answers, its slot held for the session (once, however often it is found). */
    @Override
    public Future<Optional<AgentHandle>> find(String agentId, UUID sessionId) {
        int i = indexOf(agentId);
        if (i < 0) {
            return Future.succeededFuture(Optional.empty());
        }
        AgentHandle a = agents.get(i);
        return client.health(a).compose(ok -> sessionId == null ? Future.<Void>succeededFuture()
                : slots.adopt(agentId, sessionId).recover(e -> {
                    // The agent answers: the session runs there whether or not it could be counted.
                    log.warn("session={} agent={} slot not recorded: {}", sessionId, agentId, e.getMessage());
                    return Future.succeededFuture();
                }))
            .map(v -> Optional.of(a)).otherwise(e -> Optional.empty());
    }

    /** At start, frees the slots of sessions that ended while no replica was there to release them. */
    @Override
    public void warm() {
        placement.sweep();
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
        slots.close();
        if (ownsClient) {
            client.close();
        }
    }
}
