package dev.loginrelay.controller;

import dev.loginrelay.controller.api.RequestGuard;
import dev.loginrelay.controller.api.SessionRoutes;
import dev.loginrelay.controller.api.SessionStream;
import dev.loginrelay.controller.api.UiRoutes;
import dev.loginrelay.controller.api.WebRoutes;
import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.dispatch.DispatchService;
import dev.loginrelay.controller.vm.VmPool;
import dev.loginrelay.controller.metrics.SessionMetrics;
import dev.loginrelay.controller.session.ProviderDirectory;
import dev.loginrelay.controller.session.SessionService;
import dev.loginrelay.controller.session.SessionMoves;
import dev.loginrelay.controller.session.TimeoutSweeper;
import dev.loginrelay.controller.store.ChangeListener;
import dev.loginrelay.controller.store.Db;
import dev.loginrelay.controller.store.DbConfig;
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
    private Db db;
    private DispatchService dispatch;
    private TimeoutSweeper sweeper;
    private ChangeListener listener;
    private HttpServer server;

    private Controller(ControllerConfig config, VmPool vms, AgentClient agents) {
        this.config = config;
        this.vms = vms;
        this.agents = agents;
    }

    /** Deploys a controller; {@code config} must carry the database URL and both secrets already. */
    public static Future<Controller> deploy(Vertx vertx, ControllerConfig config, VmPool vms, AgentClient agents) {
        Controller c = new Controller(config, vms, agents);
        return vertx.deployVerticle(c).map(id -> c);
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
        SessionMoves moves = new SessionMoves(store, metrics);
        dispatch = new DispatchService(vertx, vms, agents, moves, config.agentLostAfter());
        return db.migrate()
            .compose(n -> vms.providers())
            .compose(doctor -> {
                ProviderDirectory providers = new ProviderDirectory(doctor);
                SessionService sessions = new SessionService(store, new SessionEventStore(db), moves, dispatch,
                    providers, config::ttlOf);
                listener = new ChangeListener(vertx, dbConfig).start();
                sweeper = new TimeoutSweeper(vertx, store, moves, dispatch, metrics, config.sweepInterval());
                WebRoutes web = new WebRoutes(vertx, metrics, sweeper::refreshGauge);
                SessionRoutes api = new SessionRoutes(vertx, sessions, providers, config.apiKey(),
                    config.operatorToken(), new SessionStream(vertx, sessions));
                return vertx.createHttpServer(new HttpServerOptions().setHost(config.httpHost())
                        .setPort(config.httpPort()))
                    .requestHandler(web.router(api, new UiRoutes(sessions, config.uiDemo())))
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
            .compose(sessions -> sessions.open().compose(dispatch::reconcile));
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
