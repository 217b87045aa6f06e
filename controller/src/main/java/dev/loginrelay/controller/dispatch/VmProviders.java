package dev.loginrelay.controller.dispatch;

import dev.loginrelay.controller.ControllerConfig;
import io.vertx.core.Vertx;

import java.util.Map;

/** Builds the configured {@link VmProvider} ({@code LOGINRELAY_VM_PROVIDER}). */
public final class VmProviders {
    private VmProviders() {
    }

    public static VmProvider create(Vertx vertx, ControllerConfig config) {
        return create(vertx, config, System.getenv());
    }

    /** {@code env}: where the qemu provider reads its {@code LOGINRELAY_QEMU_*} settings. */
    public static VmProvider create(Vertx vertx, ControllerConfig config, Map<String, String> env) {
        if (config.vmProvider().equals("qemu")) {
            return new QemuVmProvider(vertx, QemuVmConfig.fromEnv(env, config.dataDir()));
        }
        if (config.vmProvider().equals("static")) {
            return new StaticVmProvider(vertx, StaticVmProvider.parse(config.staticAgents()));
        }
        return new LocalVmProvider(vertx, LocalVmConfig.of(config.agentJar(), config.dataDir(), config.cliPath(),
            config.agentProvidersDir()).withRetain(env));
    }
}
