package dev.loginrelay.controller.dispatch;

import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.model.AuthSession;
import io.vertx.core.Future;

/**
 * What must happen on a session's agent after the session is {@code ready} and before the agent is handed back to
 * its pool (which may destroy the VM and its files): custody takes the credentials there. A failure is logged by
 * the hook; the agent is released either way.
 */
@FunctionalInterface
public interface ReadyHook {
    /** Does nothing: the credentials stay where the CLI wrote them. */
    ReadyHook NONE = (session, agent) -> Future.succeededFuture();

    Future<Void> beforeRelease(AuthSession ready, AgentHandle agent);
}
