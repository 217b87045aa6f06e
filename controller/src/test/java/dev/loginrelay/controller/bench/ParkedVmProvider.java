package dev.loginrelay.controller.bench;

import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.vm.VmPool;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Optional;
import java.util.UUID;

/**
 * For the benchmark only: a provider whose agents never come, so sessions stay {@code pending} and what is measured is
 * the public API and the database path of create + read, not CLI start-up on agents.
 */
final class ParkedVmProvider implements VmPool {
    @Override
    public String name() {
        return "parked";
    }

    @Override
    public Future<AgentHandle> acquire(UUID sessionId) {
        return Promise.<AgentHandle>promise().future(); // never completes: no agent
    }

    @Override
    public Future<Void> release(AgentHandle handle) {
        return Future.succeededFuture();
    }

    @Override
    public Future<Optional<AgentHandle>> find(String agentId) {
        return Future.succeededFuture(Optional.empty());
    }

    @Override
    public Future<JsonObject> providers() {
        return Future.succeededFuture(new JsonObject().put("providers", new JsonArray().add(new JsonObject()
            .put("name", "bench").put("displayName", "Bench").put("supported", true).put("found", true)
            .put("available", true).put("expects", "none"))));
    }

    @Override
    public void close() {
    }
}
