package dev.loginrelay.controller;

import dev.loginrelay.controller.agents.AgentClient;
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

/** The VM back-ends this controller is built with; {@code LOGINRELAY_VM_PROVIDER} picks one by name. */
public final class Backends {
    /** {@code local} (the default), {@code static} (alias {@code fixed}), {@code qemu}, {@code kubernetes}. */
    public static final VmPools ALL = new VmPools(List.of(new LocalVmPool.Factory(), new FixedVmPool.Factory(),
        new QemuVmPool.Factory(), new KubernetesVmPool.Factory()));

    private Backends() {
    }

    /** The configured back-end's pool, reading its settings from {@code env}; blocking (reads files). */
    public static VmPool create(Vertx vertx, ControllerConfig config, Map<String, String> env, AgentClient agents) {
        return ALL.create(config.vmProvider(), new VmPoolContext(vertx, agents, env, config.dataDir()));
    }
}
