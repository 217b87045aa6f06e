package dev.loginrelay.controller;

import dev.loginrelay.controller.api.SessionRoutes;
import dev.loginrelay.controller.api.SessionStream;
import dev.loginrelay.controller.api.UiRoutes;
import dev.loginrelay.controller.api.WebRoutes;
import dev.loginrelay.controller.dispatch.AgentClient;
import dev.loginrelay.controller.dispatch.DispatchService;
import dev.loginrelay.controller.dispatch.VmProvider;
import dev.loginrelay.controller.metrics.SessionMetrics;
import dev.loginrelay.controller.session.ProviderDirectory;
import dev.loginrelay.controller.session.SessionService;
import dev.loginrelay.controller.session.SessionState;
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

import java.util.List;

/**
 * The controller as one verticle: database (migrated at start), dispatch to agents, sweeper, change fan-out and the
 * HTTP API share its context. {@link ControllerMain} deploys it for {@code java -jar}; tests deploy it in-process.
 */
public final class Controller extends VerticleBase {
    private static final Logger log = LoggerFactory.getLogger(Controller.class);

    private final ControllerConfig config;
    private final VmProvider vms;
    private Db db;
    private DispatchService dispatch;
    private TimeoutSweeper sweeper;
    private ChangeListener listener;
    private HttpServer server;

    private Controller(ControllerConfig config, VmProvider vms) {
        this.config = config;
        this.vms = vms;
    }

    /** Deploys a controller; {@code config} must carry the database URL and both secrets already. */
    public static Future<Controller> deploy(Vertx vertx, ControllerConfig config, VmProvider vms) {
        Controller c = new Controller(config, vms);
        return vertx.deployVerticle(c).map(id -> c);
    }

    @Override
    public Future<?> start() {
        DbConfig dbConfig = new DbConfig(config.databaseUrl(), config.databaseUser(),
            config.databasePassword() == null ? null : config.databasePassword().reveal(), config.databasePoolSize(),
            DbConfig.DEFAULT_CONNECTION_TIMEOUT, DbConfig.DEFAULT_STATEMENT_TIMEOUT, "jdbc-" + config.replicaId());
        db = Db.create(vertx, dbConfig);
        SessionStore store = new SessionStore(db);
        SessionMetrics metrics = new SessionMetrics();
        dispatch = new DispatchService(vertx, vms, new AgentClient(vertx), store, metrics, config.agentLostAfter());
        // The agents' self-check (a JVM and each CLI's --version, seconds) runs while the migrations do.
        return Future.all(db.migrate(), vms.providers())
            .compose(both -> {
                ProviderDirectory providers = new ProviderDirectory(both.resultAt(1));
                SessionService sessions = new SessionService(store, new SessionEventStore(db), dispatch, providers,
                    metrics, config::ttlOf);
                listener = new ChangeListener(vertx, dbConfig).start();
                sweeper = new TimeoutSweeper(vertx, store, dispatch, metrics, config.sweepInterval());
                WebRoutes web = new WebRoutes(vertx, metrics, sweeper::refreshGauge);
                SessionRoutes api = new SessionRoutes(vertx, sessions, providers, config.apiKey(),
                    config.operatorToken(), new SessionStream(vertx, store));
                return vertx.createHttpServer(new HttpServerOptions().setHost(config.httpHost())
                        .setPort(config.httpPort()))
                    .requestHandler(web.router(api, new UiRoutes(sessions, config.uiDemo())))
                    .listen();
            })
            .compose(s -> {
                server = s;
                log.info("controller {} listening on {}:{}", config.replicaId(), config.httpHost(), s.actualPort());
                return reconcile(store);
            });
    }

    private Future<Void> reconcile(SessionStore store) {
        Future<List<dev.loginrelay.controller.session.AuthSession>> open = Future.all(List.of(
                store.list(SessionState.PENDING, null, 1000), store.list(SessionState.STARTING, null, 1000),
                store.list(SessionState.AWAITING_USER, null, 1000), store.list(SessionState.VERIFYING, null, 1000)))
            .map(all -> all.<List<dev.loginrelay.controller.session.AuthSession>>list().stream()
                .flatMap(List::stream).toList());
        // Which agents this replica's provider made: a session whose agent is one of them and is gone lost it.
        Future<java.util.function.Predicate<String>> started = vms.madeHere();
        return Future.all(open, started).compose(both -> {
            List<dev.loginrelay.controller.session.AuthSession> list = both.resultAt(0);
            java.util.function.Predicate<String> mine = both.resultAt(1);
            if (!list.isEmpty()) {
                log.info("reconciling {} open sessions", list.size());
            }
            return dispatch.reconcile(list, mine);
        });
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
