package dev.loginrelay.controller.vm;

import dev.loginrelay.controller.agents.AgentHandle;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Gets an agent (a VM) for a session and gives it back: the SPI every VM back-end implements, one package each
 * under {@code vm/} ({@code local}: an agent process per session on this host; {@code fixed}: agents on VMs made
 * elsewhere; {@code qemu}: a VM per session from the golden image; {@code kubernetes}: a sandbox claimed per session
 * on a cluster). {@link VmPools} finds them by name.
 */
public interface VmPool extends AutoCloseable {
    /** The back-end's name: {@code local}, {@code static}, {@code qemu} or {@code kubernetes}. */
    String name();

    /** An agent ready to take this session's run: it answered {@code /health}. */
    Future<AgentHandle> acquire(UUID sessionId);

    /** Done with the agent (local: stop the process and reap it; the work dir stays for the operator). */
    Future<Void> release(AgentHandle handle);

    /**
     * Done with the agent that served this session: a pool that counts sessions per agent frees this session's own
     * slot. Default: {@link #release(AgentHandle)}.
     */
    default Future<Void> release(AgentHandle handle, UUID sessionId) {
        return release(handle);
    }

    /**
     * After a controller restart: the agent of a session in flight, if it still exists and answers. The provider
     * counts it as handed out again, so {@link #release} it when the session ends.
     */
    Future<Optional<AgentHandle>> find(String agentId);

    /**
     * {@link #find(String)} for the session that runs on the agent: a pool that counts sessions per agent counts it
     * once, however often it is found (on a restart, and by every replica a callback reaches). Default:
     * {@link #find(String)}.
     */
    default Future<Optional<AgentHandle>> find(String agentId, UUID sessionId) {
        return find(agentId);
    }

    /**
     * After a restart, which of the agents that {@link #find} did not find were made by this provider here (so their
     * sessions lost them) rather than by another replica's. Read once, off the event loop. Default: none.
     */
    default Future<Predicate<String>> madeHere() {
        return Future.succeededFuture(id -> false);
    }

    /**
     * How much the pool holds now, for the metrics: e.g. {@code idle}, {@code busy} agents, {@code sessions} served,
     * {@code starting} in the background. Default: nothing to report.
     */
    default java.util.Map<String, Integer> capacity() {
        return java.util.Map.of();
    }

    /** Starts capacity ahead of the clicks in the background, where the back-end keeps any; default: none. */
    default void warm() {
    }

    /**
     * At shutdown: stops the capacity kept ahead that serves no session (a warm agent nobody owns would outlive the
     * controller), and starts no more. Agents of sessions in flight keep running: a restarted controller resumes
     * them. Blocking; safe in a shutdown hook. Default: nothing kept ahead.
     */
    default void stopIdle() {
    }

    /**
     * After a restart, before sessions are resumed: stops the agents this pool made here that none of {@code owned}
     * (the agent ids of live sessions) is, so a crash leaves no agent running that no session owns. Answers how many
     * were stopped. Default: none (agents made elsewhere are their maker's).
     */
    default Future<Integer> reapExcept(java.util.Set<String> owned) {
        return Future.succeededFuture(0);
    }

    /**
     * The agents' provider catalog from their self-check: {@code {"providers":[{name, displayName, supported, found,
     * available, reason, relay, expects, version, testedVersion, versionMatches}]}}; {@code available} is supported,
     * CLI installed and a PTY opens, {@code reason} says why not otherwise.
     */
    Future<JsonObject> providers();

    /** Stops what the provider owns. Blocking: call from main or a shutdown hook, never on an event loop. */
    @Override
    void close();
}
