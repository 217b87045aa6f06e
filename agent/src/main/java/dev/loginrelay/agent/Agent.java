package dev.loginrelay.agent;

import dev.loginrelay.agent.config.AgentConfig;
import dev.loginrelay.agent.api.AgentRoutes;
import dev.loginrelay.agent.doctor.Doctor;
import dev.loginrelay.agent.provider.ProviderCatalog;
import dev.loginrelay.agent.run.RunService;
import dev.loginrelay.agent.run.WorkspaceHome;
import dev.loginrelay.agent.support.Secret;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The agent as a verticle: its runs, routes and HTTP server share one Vert.x context. Tests deploy it in-process
 * with {@link #deploy}; {@link AgentMain} does the same for {@code java -jar}.
 */
public final class Agent extends VerticleBase {
    private static final Logger log = LoggerFactory.getLogger(Agent.class);

    private final AgentConfig config;
    /** Swapped by {@link #reloadToken()} and {@code PUT /api/v1/token}; read by the bearer check on every request. */
    private final AtomicReference<Secret> token;
    private final ProviderCatalog catalog;
    private final dev.loginrelay.agent.run.RunUsers users;
    private RunService runs;
    private HttpServer server;

    private Agent(AgentConfig config, Secret token, ProviderCatalog catalog, dev.loginrelay.agent.run.RunUsers users) {
        this.config = config;
        this.token = new AtomicReference<>(token);
        this.catalog = catalog;
        this.users = users;
    }

    /**
     * Loads the token and the provider specs and decides whose user the CLIs run as (blocking, before deployment),
     * then deploys the agent.
     */
    public static Future<Agent> deploy(Vertx vertx, AgentConfig config) {
        return vertx.executeBlocking(() -> new Agent(config, TokenFile.readOrCreate(config.tokenFile()),
                ProviderCatalog.load(config.providersDir()), dev.loginrelay.agent.run.RunUsers.of(config)))
            .compose(agent -> vertx.deployVerticle(agent).map(id -> agent));
    }

    @Override
    public Future<?> start() {
        runs = new RunService(vertx, context, config, catalog, users);
        Doctor doctor = new Doctor(vertx, config, catalog);
        AgentRoutes routes = new AgentRoutes(vertx, runs, new WorkspaceHome(vertx, config, catalog), catalog, doctor,
            version());
        return vertx.createHttpServer(new HttpServerOptions().setHost(config.host()).setPort(config.port()))
            .requestHandler(routes.router(token::get, token::set))
            .invalidRequestHandler(dev.loginrelay.agent.api.RequestGuard::invalidRequest)
            .exceptionHandler(dev.loginrelay.agent.api.RequestGuard::connectionError)
            .listen()
            .compose(s -> {
                server = s;
                log.info("agent listening on {}:{}", config.host(), s.actualPort());
                if (config.portFile() == null) {
                    return Future.succeededFuture();
                }
                return vertx.executeBlocking(() -> Files.writeString(config.portFile(),
                    Integer.toString(s.actualPort()), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE));
            });
    }

    /**
     * Closes the API first, then cancels the live runs: a controller following a run sees its agent go away (and
     * fails the session {@code AGENT_LOST}) rather than a cancel nobody asked for, when the agent's VM or pod is
     * stopped under a live login (SIGTERM: a node drain, an eviction, a deleted sandbox).
     */
    @Override
    public Future<?> stop() {
        Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
        return closed.eventually(() -> runs == null ? Future.succeededFuture() : runs.shutdown());
    }

    /**
     * Re-reads the token file and makes its token the one the API accepts from now on (SIGHUP, see
     * {@link AgentMain}): a VM clone restored from a memory snapshot gets its own token without restarting the JVM.
     */
    public Future<Void> reloadToken() {
        return vertx.executeBlocking(() -> {
            if (!Files.exists(config.tokenFile())) { // a reload never invents a token nobody else knows
                throw new IllegalStateException("token file " + config.tokenFile() + " is missing");
            }
            return TokenFile.readOrCreate(config.tokenFile());
        }, false)
            .onSuccess(t -> {
                token.set(t);
                log.info("API token re-read from {}", config.tokenFile());
            })
            .onFailure(e -> log.warn("cannot re-read the API token from {}; keeping the old one: {}",
                config.tokenFile(), e.getMessage()))
            .mapEmpty();
    }

    public int port() {
        return server.actualPort();
    }

    public AgentConfig agentConfig() {
        return config;
    }

    static String version() {
        String v = Agent.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** The path of the token file; the token itself never leaves it except to authenticate. */
    public Path tokenFile() {
        return config.tokenFile();
    }
}
