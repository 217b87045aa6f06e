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
 * the fewest sessions (round-robin on ties) that answers {@code /health}, skipping those that do not; {@link #release}
 * gives the slot back. Nothing is started or stopped here.
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
            return new FixedVmPool(FixedAgent.parse(spec), ctx.agents());
        }
    }

    private static final Logger log = LoggerFactory.getLogger(FixedVmPool.class);
    private static final Duration CATALOG_TTL = Duration.ofMinutes(5);

    private final List<AgentHandle> agents;
    private final int[] handedOut;
    private final AgentClient client;
    private final boolean ownsClient;
    private final CachedFuture<JsonObject> catalog;
    private int next;

    /** Reads every agent's token file (blocking, at startup): a missing one fails here, naming the agent. */
    public FixedVmPool(Vertx vertx, List<FixedAgent> agents) {
        this(agents, new AgentClient(vertx, Duration.ofSeconds(5)), true);
    }

    public FixedVmPool(List<FixedAgent> agents, AgentClient client) {
        this(agents, client, false);
    }

    private FixedVmPool(List<FixedAgent> agents, AgentClient client, boolean ownsClient) {
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
        return tryNext(sessionId, new HashSet<>(), new ArrayList<>());
    }

    private Future<AgentHandle> tryNext(UUID sessionId, Set<Integer> tried, List<String> why) {
        int i = reserve(tried);
        if (i < 0) {
            return Future.failedFuture(new ApiException(ErrorCode.AGENT_UNAVAILABLE, "none of the " + agents.size()
                + " static agents answers /health: " + String.join("; ", why)));
        }
        AgentHandle a = agents.get(i);
        return client.health(a).map(ok -> {
            log.info("session={} placed on agent={} ({} sessions there)", sessionId, a.agentId(), count(i));
            return a;
        }).recover(e -> {
            unreserve(i);
            log.warn("session={} skipping agent={}: {}", sessionId, a.agentId(), e.getMessage());
            why.add(a.agentId() + ": " + e.getMessage());
            tried.add(i);
            return tryNext(sessionId, tried, why);
        });
    }

    /** Takes a slot on the untried agent with the fewest sessions, the first from the round-robin cursor on ties. */
    private synchronized int reserve(Set<Integer> tried) {
        int best = -1;
        for (int k = 0; k < agents.size(); k++) {
            int i = (next + k) % agents.size();
            if (!tried.contains(i) && (best < 0 || handedOut[i] < handedOut[best])) {
                best = i;
            }
        }
        if (best >= 0) {
            handedOut[best]++;
            next = (best + 1) % agents.size();
        }
        return best;
    }

    private synchronized void unreserve(int i) {
        handedOut[i] = Math.max(0, handedOut[i] - 1);
    }

    private synchronized int count(int i) {
        return handedOut[i];
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
        unreserve(i);
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
