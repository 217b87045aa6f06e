package dev.loginrelay.agent;

import dev.loginrelay.agent.config.AgentConfig;
import dev.loginrelay.agent.doctor.Doctor;
import dev.loginrelay.agent.provider.ProviderCatalog;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code java -jar loginrelay-agent.jar [doctor] [--port 7070 ...]}: serves the agent's API, or with {@code doctor}
 * prints the self-check as JSON and exits 0 when it passes, 1 when not (golden-snapshot builds use this).
 */
public final class AgentMain {
    private static final Logger log = LoggerFactory.getLogger(AgentMain.class);

    private AgentMain() {
    }

    /**
     * SIGHUP re-reads the token file (systemd {@code ExecReload}; the golden snapshot's restore hook rotates each
     * clone's token this way). Without a handler the JVM would treat SIGHUP as a request to exit.
     */
    private static void reloadOnHangup(Agent agent) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> agent.reloadToken());
        } catch (IllegalArgumentException e) {
            log.warn("SIGHUP cannot be handled here ({}); the token is read only at start", e.getMessage());
        }
    }

    public static void main(String[] args) {
        List<String> argv = new ArrayList<>(Arrays.asList(args));
        boolean doctor = !argv.isEmpty() && argv.get(0).equals("doctor");
        if (doctor) {
            argv.remove(0);
        }
        if (argv.contains("--help") || argv.contains("-h")) {
            System.out.println("usage: java -jar loginrelay-agent.jar [doctor] [--host H] [--port P] [--token-file F]"
                + " [--work-dir D] [--providers-dir D] [--log-dir D] [--cli-path P1:P2] [--lock-dir D]"
                + " [--port-file F] [--max-runs N] [--retain-seconds N] [--workspace-home D]\nEach flag can also be set as"
                + " LOGINRELAY_AGENT_<NAME> in the environment (see README).");
            return;
        }
        AgentConfig config;
        try {
            config = AgentConfig.from(System.getenv(), argv);
        } catch (IllegalArgumentException e) {
            System.err.println("loginrelay-agent: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (doctor) {
            JsonObject report = Doctor.report(config, ProviderCatalog.load(config.providersDir()));
            System.out.println(report.encodePrettily());
            System.exit(report.getBoolean("ok") ? 0 : 1);
            return;
        }
        log.info("loginrelay-agent {} starting: {}", Agent.version(), config.describe());
        Vertx vertx = Vertx.vertx();
        Agent.deploy(vertx, config).onSuccess(AgentMain::reloadOnHangup).onFailure(e -> {
            log.error("agent failed to start: {}", e.getMessage(), e);
            vertx.close();
            System.exit(1);
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("shutdown did not complete cleanly: {}", e.toString());
            }
        }, "agent-shutdown"));
    }
}
