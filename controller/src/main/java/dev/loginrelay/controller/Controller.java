package dev.loginrelay.controller;

import dev.loginrelay.controller.api.CredentialRoutes;
import dev.loginrelay.controller.api.RequestGuard;
import dev.loginrelay.controller.api.SessionRoutes;
import dev.loginrelay.controller.api.SessionStream;
import dev.loginrelay.controller.api.UiRoutes;
import dev.loginrelay.controller.api.WebRoutes;
import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.credentials.CredentialConfig;
import dev.loginrelay.controller.credentials.CredentialService;
import dev.loginrelay.controller.dispatch.DispatchService;
import dev.loginrelay.controller.vm.VmPool;
import dev.loginrelay.controller.metrics.SessionMetrics;
import dev.loginrelay.controller.session.ProviderDirectory;
import dev.loginrelay.controller.session.SessionService;
import dev.loginrelay.controller.session.SessionMoves;
import dev.loginrelay.controller.session.TimeoutSweeper;
import dev.loginrelay.controller.store.ChangeListener;
import dev.loginrelay.controller.store.CredentialStore;
import dev.loginrelay.controller.store.Db;
import dev.loginrelay.controller.store.DbConfig;
import dev.loginrelay.controller.store.PendingQueue;
import dev.loginrelay.controller.store.SessionEventStore;
import dev.loginrelay.controller.store.SessionStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller as one verticle: database (migrated at start), dispatch to agents, sweeper, change fan-out and the
 * HTTP API share its context. {@link ControllerMain} deploys it for {@code java -jar}; tests deploy it in-process.
 */
public final class Controller extends VerticleBase {
    private static final Logger log = LoggerFactory.getLogger(Controller.class);

    private final ControllerConfig config;
    private final VmPool vms;
    private final AgentClient agents;
    private final CredentialConfig custody;
    private Db db;
    private DispatchService dispatch;
    private TimeoutSweeper sweeper;
    private ChangeListener listener;
    private HttpServer server;

    private Controller(ControllerConfig config, VmPool vms, AgentClient agents, CredentialConfig custody) {
        this.custody = custody;
        this.config = config;
        this.vms = vms;
        this.agents = agents;
    }

    /**
     * Deploys a controller; {@code config} must carry the database URL and both secrets already, {@code custody}
     * the master keys ({@link CredentialConfig#fromEnv}).
     */
    public static Future<Controller> deploy(Vertx vertx, ControllerConfig config, VmPool vms, AgentClient agents,
                                            CredentialConfig custody) {
        Controller c = new Controller(config, vms, agents, custody);
        return vertx.deployVerticle(c).map(id -> c);
    }

    /** The same with custody's defaults: the master key in the data dir, no workspaces, no export (blocking). */
    public static Future<Controller> deploy(Vertx vertx, ControllerConfig config, VmPool vms, AgentClient agents) {
        return deploy(vertx, config, vms, agents, CredentialConfig.fromEnv(java.util.Map.of(), config.dataDir()));
    }

    /** The same with an agent client of its own (tests with a hand-made pool). */
    public static Future<Controller> deploy(Vertx vertx, ControllerConfig config, VmPool vms) {
        return deploy(vertx, config, vms, new AgentClient(vertx));
    }

    @Override
    public Future<?> start() {
        DbConfig dbConfig = new DbConfig(config.databaseUrl(), config.databaseUser(),
            config.databasePassword() == null ? null : config.databasePassword().reveal(), config.databasePoolSize(),
            DbConfig.DEFAULT_CONNECTION_TIMEOUT, DbConfig.DEFAULT_STATEMENT_TIMEOUT, "jdbc-" + config.replicaId());
        db = Db.create(vertx, dbConfig);
        SessionStore store = new SessionStore(db);
        SessionMetrics metrics = new SessionMetrics();
        metrics.pool(vms::capacity);
        SessionMoves moves = new SessionMoves(store, metrics);
        CredentialService credentials = new CredentialService(vertx, new CredentialStore(db), agents, custody);
        dispatch = new DispatchService(vertx, vms, agents, moves, config.agentLostAfter(), config.maxStarting(),
            credentials);
        // The agents' self-check (a JVM and each CLI's --version, seconds, unless cached) runs while the migrations do.
        return Future.all(db.migrate(), vms.providers())
            .compose(both -> {
                ProviderDirectory providers = new ProviderDirectory(both.resultAt(1));
                SessionService sessions = new SessionService(store, new SessionEventStore(db), moves, dispatch,
                    providers, config::ttlOf, new PendingQueue(db), config.maxPending());
                listener = new ChangeListener(vertx, dbConfig).start();
                sweeper = new TimeoutSweeper(vertx, store, moves, dispatch, metrics, config.sweepInterval());
                WebRoutes web = new WebRoutes(vertx, metrics, sweeper::refreshGauge);
                SessionRoutes api = new SessionRoutes(vertx, sessions, providers, config.apiKey(),
                    config.operatorToken(), new SessionStream(vertx, sessions), credentials);
                CredentialRoutes credentialApi = new CredentialRoutes(credentials, sessions, config.apiKey(),
                    config.operatorToken());
                return vertx.createHttpServer(new HttpServerOptions().setHost(config.httpHost())
                        .setPort(config.httpPort()))
                    .requestHandler(web.router(api, credentialApi, new UiRoutes(sessions, config.uiDemo())))
                    .invalidRequestHandler(RequestGuard::invalidRequest)
                    .exceptionHandler(RequestGuard::connectionError)
                    .listen()
                    .map(s -> {
                        server = s;
                        log.info("controller {} listening on {}:{}", config.replicaId(), config.httpHost(),
                            s.actualPort());
                        return sessions;
                    });
            })
            .compose(sessions -> sessions.open().compose(dispatch::reconcile))
            .onSuccess(v -> vms.warm());
    }

    @Override
    public Future<?> stop() {
        if (sweeper != null) {
            sweeper.close();
        }
        if (listener != null) {
            listener.close();
        }
        if (dispatch != null) {
            dispatch.close();
        }
        Future<Void> http = server == null ? Future.succeededFuture() : server.close();
        return http.compose(v -> db == null ? Future.succeededFuture() : db.close());
    }

    public int port() {
        return server.actualPort();
    }
}
