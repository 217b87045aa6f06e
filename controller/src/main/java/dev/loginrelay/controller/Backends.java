package dev.loginrelay.controller;

import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.store.AgentSlotStore;
import dev.loginrelay.controller.store.Db;
import dev.loginrelay.controller.store.DbConfig;
import dev.loginrelay.controller.vm.AgentSlots;
import dev.loginrelay.controller.vm.VmPool;
import dev.loginrelay.controller.vm.VmPoolContext;
import dev.loginrelay.controller.vm.VmPools;
import dev.loginrelay.controller.vm.fixed.FixedVmPool;
import dev.loginrelay.controller.vm.kubernetes.KubernetesVmPool;
import dev.loginrelay.controller.vm.local.LocalVmPool;
import dev.loginrelay.controller.vm.qemu.QemuVmPool;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The VM back-ends this controller is built with; {@code LOGINRELAY_VM_PROVIDER} picks one by name. */
public final class Backends {
    /** {@code local} (the default), {@code static} (alias {@code fixed}), {@code qemu}, {@code kubernetes}. */
    public static final VmPools ALL = new VmPools(List.of(new LocalVmPool.Factory(), new FixedVmPool.Factory(),
        new QemuVmPool.Factory(), new KubernetesVmPool.Factory()));

    private Backends() {
    }

    /** Connections of the slot table's own pool ({@link #slots}): a claim or a release is one short statement. */
    static final int SLOT_POOL_SIZE = 2;

    /**
     * The configured back-end's pool, reading its settings from {@code env}; blocking (reads files). {@code config}
     * must name the database already: a back-end that shares agents between sessions counts them there.
     */
    public static VmPool create(Vertx vertx, ControllerConfig config, Map<String, String> env, AgentClient agents) {
        return ALL.create(config.vmProvider(), new VmPoolContext(vertx, agents, env, config.dataDir(),
            config.databaseUrl() == null ? null : slots(vertx, config)));
    }

    /**
     * Opens the slot table on a small pool of its own: the pool is built before the controller's database pool, and
     * it is closed with the VM pool. The controller migrates the schema before any session asks for an agent.
     */
    private static Supplier<AgentSlots> slots(Vertx vertx, ControllerConfig config) {
        return () -> new AgentSlotStore(Db.create(vertx, new DbConfig(config.databaseUrl(), config.databaseUser(),
            config.databasePassword() == null ? null : config.databasePassword().reveal(), SLOT_POOL_SIZE,
            DbConfig.DEFAULT_CONNECTION_TIMEOUT, DbConfig.DEFAULT_STATEMENT_TIMEOUT, "slot-" + config.replicaId())),
            AgentSlotStore.DEFAULT_GRACE);
    }
}
