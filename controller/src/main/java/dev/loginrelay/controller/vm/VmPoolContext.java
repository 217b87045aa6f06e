package dev.loginrelay.controller.vm;

import dev.loginrelay.controller.agents.AgentClient;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What a back-end gets to build its pool: the controller's Vert.x, the one agent client every part of the controller
 * shares, the environment (each back-end reads and validates its own {@code LOGINRELAY_*} settings) and the
 * controller's data dir; {@code slots}, when there is a database, opens the slot table every replica shares (a back-end
 * that shares agents between sessions calls it once and closes what it gets), else null.
 */
public record VmPoolContext(Vertx vertx, AgentClient agents, Map<String, String> env, Path dataDir,
                            Supplier<AgentSlots> slots) {
    public VmPoolContext(Vertx vertx, AgentClient agents, Map<String, String> env, Path dataDir) {
        this(vertx, agents, env, dataDir, null);
    }

    public VmPoolContext {
        Objects.requireNonNull(vertx, "vertx");
        Objects.requireNonNull(agents, "agents");
        env = Map.copyOf(env);
        dataDir = Objects.requireNonNull(dataDir, "dataDir").toAbsolutePath().normalize();
    }
}
