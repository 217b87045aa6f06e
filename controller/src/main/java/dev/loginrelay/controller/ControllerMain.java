package dev.loginrelay.controller;

import dev.loginrelay.controller.vm.VmPool;
import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.credentials.CredentialConfig;
import dev.loginrelay.controller.embedded.EmbeddedDatabase;
import dev.loginrelay.controller.support.Secret;
import dev.loginrelay.controller.support.SecretFiles;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar loginrelay-controller.jar}: with no configuration it starts embedded PostgreSQL under
 * {@code .loginrelay/controller/pg}, generates the API key and operator token into that directory (and says where),
 * starts agents as local processes, and serves on 127.0.0.1:8080.
 */
public final class ControllerMain {
    private static final Logger log = LoggerFactory.getLogger(ControllerMain.class);

    private ControllerMain() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println("usage: java -jar loginrelay-controller.jar\nConfigured by LOGINRELAY_* environment "
                + "variables (see README): LOGINRELAY_HTTP_PORT, LOGINRELAY_DATABASE_URL, LOGINRELAY_API_KEY(_FILE), "
                + "LOGINRELAY_OPERATOR_TOKEN(_FILE), LOGINRELAY_VM_PROVIDER, ...");
            return;
        }
        ControllerConfig config;
        CredentialConfig custody;
        try {
            config = ControllerConfig.fromEnv(System.getenv());
            // A configured master key file that cannot be read stops the start: nothing in custody would decrypt.
            custody = CredentialConfig.fromEnv(System.getenv(), config.dataDir());
        } catch (RuntimeException e) {
            System.err.println("loginrelay-controller: " + e.getMessage());
            System.exit(2);
            return;
        }
        EmbeddedDatabase embedded = null;
        if (config.databaseUrl() == null) {
            // Also writes database.url and a pgpass file (0600) for scripts/sessions.sh and psql.
            embedded = EmbeddedDatabase.start(config.dataDir());
            config = config.withDatabase(embedded.jdbcUrl(), EmbeddedDatabase.USER, embedded.password());
        }
        Secret apiKey = config.apiKey() != null ? config.apiKey()
            : SecretFiles.readOrCreate(config.dataDir().resolve("api-key"), "the API key (LOGINRELAY_API_KEY)");
        Secret operator = config.operatorToken() != null ? config.operatorToken()
            : SecretFiles.readOrCreate(config.dataDir().resolve("operator-token"),
                "the operator token (LOGINRELAY_OPERATOR_TOKEN)");
        ControllerConfig effective = config.withSecrets(apiKey, operator);
        log.info("loginrelay-controller starting: {}", effective.describe());
        log.info("credential custody: {}", custody.describe());

        Vertx vertx = Vertx.vertx();
        AgentClient agents = new AgentClient(vertx);
        VmPool vms = Backends.create(vertx, effective, System.getenv(), agents);
        EmbeddedDatabase db = embedded;
        Controller.deploy(vertx, effective, vms, agents, custody).onFailure(e -> {
            log.error("controller failed to start: {}", e.getMessage(), e);
            // Not on the event loop: System.exit runs the shutdown hook, which waits for Vert.x to close.
            Thread exit = new Thread(() -> System.exit(1), "controller-exit");
            exit.start();
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                // Agents of sessions in flight are left running: they are the sessions' VMs, and a restarted
                // controller resumes them (VmPool.find). Those serving no session (kept warm) are stopped.
                vms.stopIdle();
                vertx.close().toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("shutdown did not complete cleanly: {}", e.toString());
            }
            if (db != null) {
                db.close();
            }
        }, "controller-shutdown"));
    }
}
