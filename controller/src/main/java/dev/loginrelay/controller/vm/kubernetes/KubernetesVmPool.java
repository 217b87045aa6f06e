package dev.loginrelay.controller.vm.kubernetes;

import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentError;
import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.support.Secret;
import dev.loginrelay.controller.support.SecretFiles;
import dev.loginrelay.controller.vm.CachedFuture;
import dev.loginrelay.controller.vm.CliCatalog;
import dev.loginrelay.controller.vm.VmPool;
import dev.loginrelay.controller.vm.VmPoolContext;
import dev.loginrelay.controller.vm.VmPoolFactory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A {@link VmPool} on a Kubernetes cluster running kubernetes-sigs/agent-sandbox: each session gets a
 * {@code SandboxClaim} on the configured {@code SandboxWarmPool}, labelled with the session and this replica. The
 * cluster binds it to a sandbox booted ahead (or cold-starts one from the pool's template); once the claim is ready,
 * the agent is reached through the sandbox's service, given a token of its own (the pool's sandboxes share a
 * bootstrap token until claimed) and proven with an authenticated call. {@link #release} deletes the claim, and the
 * cluster the sandbox with it. Claims outlive a controller restart: {@link #find} finds them by their session label.
 * With a {@code SandboxTemplate} configured instead of a pool, each session gets a {@code Sandbox} of its own made
 * from the template (a cold start), under the same name and labels, handled the same way from there on.
 */
public final class KubernetesVmPool implements VmPool {
    /** {@code kubernetes}: a SandboxClaim per session ({@code LOGINRELAY_K8S_*}). */
    public static final class Factory implements VmPoolFactory {
        @Override
        public List<String> names() {
            return List.of("kubernetes", "k8s");
        }

        @Override
        public VmPool create(VmPoolContext ctx) {
            return new KubernetesVmPool(ctx.vertx(), KubernetesPoolConfig.fromEnv(ctx.env()), ctx.agents());
        }
    }

    private static final Logger log = LoggerFactory.getLogger(KubernetesVmPool.class);
    private static final Pattern CLAIM = Pattern.compile(SandboxApi.CLAIM_PREFIX
        + "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})");
    private static final long POLL_MS = 200;
    private static final Duration CATALOG_TTL = Duration.ofMinutes(10);

    private final Vertx vertx;
    private final KubernetesPoolConfig config;
    private final AgentClient agents;
    private final KubernetesClient client;
    private final SandboxApi api;
    private final ClaimWaiter waiter;
    private final ClaimTokens tokens;
    private final Secret bootstrap;
    /** Claims handed out (or found again) and not released, by claim name. */
    private final Map<String, AgentHandle> live = new ConcurrentHashMap<>();
    private final CachedFuture<JsonObject> catalog;
    /** Probe Sandboxes in use now ({@link #probe}): not leftovers for {@link #reapExcept}. */
    private final Set<String> probing = ConcurrentHashMap.newKeySet();

    /** Reads the two secret files and builds the API client (blocking, at startup); fails naming what is wrong. */
    public KubernetesVmPool(Vertx vertx, KubernetesPoolConfig config, AgentClient agents) {
        this.vertx = vertx;
        this.config = config;
        this.agents = agents;
        this.bootstrap = secret(config.bootstrapToken(), "LOGINRELAY_K8S_BOOTSTRAP_TOKEN_FILE");
        this.tokens = new ClaimTokens(secret(config.tokenKey(), "LOGINRELAY_K8S_TOKEN_KEY_FILE"));
        Config found = Config.autoConfigure(null);
        this.client = new KubernetesClientBuilder().withConfig(config.apiUrl() == null ? found
            : new ConfigBuilder(found).withMasterUrl(config.apiUrl()).build()).build();
        String ns = config.namespace() != null ? config.namespace() : client.getNamespace();
        if (ns == null) {
            client.close();
            throw new IllegalArgumentException("LOGINRELAY_K8S_NAMESPACE is not set and the Kubernetes client found "
                + "no namespace of its own (outside a pod, set it)");
        }
        this.api = new SandboxApi(client, ns, config.fromTemplate());
        this.waiter = new ClaimWaiter(vertx, api, config.replica(), POLL_MS);
        this.catalog = new CachedFuture<>(CATALOG_TTL, () -> doctor(System.nanoTime()
            + config.readyTimeout().toNanos()));
        log.info("kubernetes pool: namespace={} {} agentPort={} replica={} readyTimeout={}s claimTtl={}s "
                + "api={}", ns, source(), config.agentPort(), config.replica(),
            config.readyTimeout().toSeconds(), config.claimTtl().toSeconds(), client.getMasterUrl());
    }

    /** Where sandboxes come from, for log lines and errors. */
    private String source() {
        return config.fromTemplate() ? "template " + config.template() : "warm pool " + config.warmPool();
    }

    /** Blocking: the session's claim, or its Sandbox from the template. */
    private GenericKubernetesResource request(UUID sessionId) {
        return config.fromTemplate()
            ? SandboxApi.sandbox(SandboxApi.claimName(sessionId), sessionId, config.replica(),
                api.blueprint(config.template()), config.claimTtl())
            : SandboxApi.claim(sessionId, config.replica(), config.warmPool(), config.claimTtl());
    }

    private static Secret secret(java.nio.file.Path file, String variable) {
        try {
            return SecretFiles.read(file);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(variable + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return "kubernetes";
    }

    @Override
    public Future<AgentHandle> acquire(UUID sessionId) {
        String name = SandboxApi.claimName(sessionId);
        long t0 = System.nanoTime();
        long deadline = t0 + config.readyTimeout().toNanos();
        // ordered: claims are made in the order sessions were admitted, which is the order the cluster binds them
        return vertx.executeBlocking(() -> api.create(request(sessionId)), true)
            .compose(created -> {
                log.info("session={} claim={} created from {}", sessionId, name, source());
                return waiter.await(name, deadline);
            })
            .compose(claim -> vertx.executeBlocking(() -> handles(claim).orElseThrow(() -> new IllegalStateException(
                "the sandbox of claim " + name + " is gone or has no service")), false))
            .compose(h -> handOut(h, deadline))
            .recover(e -> abandon(sessionId, name, t0, e))
            .onSuccess(h -> {
                live.put(name, h);
                log.info("session={} claim={} sandbox={} agent ready with its own token at {} in {} ms", sessionId,
                    name, h.vmId(), h.baseUrl(), (System.nanoTime() - t0) / 1_000_000);
            });
    }

    /** The claimed agent's two handles: with the pool's bootstrap token, and with the claim's own. */
    private record Handles(AgentHandle bootstrap, AgentHandle own) {
    }

    /** Blocking: the claim's sandbox, if it still exists, is ready and has its service. */
    private Optional<Handles> handles(GenericKubernetesResource claim) {
        String name = claim.getMetadata().getName();
        return SandboxApi.sandboxName(claim).flatMap(api::sandbox)
            .filter(s -> SandboxApi.ready(s) && !SandboxApi.deleting(s))
            .flatMap(s -> SandboxApi.serviceHost(s).map(host -> {
                String url = "http://" + host + ":" + config.agentPort();
                String sandbox = s.getMetadata().getName();
                Secret own = tokens.of(name, String.valueOf(claim.getMetadata().getUid()));
                return new Handles(new AgentHandle(name, url, bootstrap, sandbox, host),
                    new AgentHandle(name, url, own, sandbox, host));
            }));
    }

    /**
     * Waits for the agent, gives it the claim's own token and proves it with an authenticated call. An agent that
     * refuses the bootstrap token was re-keyed already (a retried start): the proof decides.
     */
    private Future<AgentHandle> handOut(Handles h, long deadline) {
        return awaitHealth(h.bootstrap(), deadline)
            .compose(ok -> agents.replaceToken(h.bootstrap(), h.own().token()).recover(e -> unauthorized(e)
                ? Future.succeededFuture(new JsonObject()) : Future.failedFuture(e)))
            .compose(ok -> agents.providers(h.own()))
            .map(proof -> h.own());
    }

    private Future<Void> awaitHealth(AgentHandle h, long deadline) {
        return agents.health(h).<Void>mapEmpty().recover(e -> {
            if (System.nanoTime() > deadline) {
                return Future.failedFuture("the agent at " + h.baseUrl() + " did not answer /health in time: "
                    + e.getMessage());
            }
            return vertx.timer(POLL_MS).compose(v -> awaitHealth(h, deadline));
        });
    }

    private static boolean unauthorized(Throwable e) {
        return e.getCause() instanceof AgentError a && a.httpStatus() == 401;
    }

    private <T> Future<T> abandon(UUID sessionId, String name, long t0, Throwable why) {
        String msg = "session " + sessionId + ": claim " + name + " from " + source()
            + " failed after " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + why.getMessage();
        log.warn("{}; deleting the claim", msg);
        return vertx.executeBlocking(() -> {
            api.delete(name);
            return null;
        }, false).recover(e -> Future.succeededFuture())
            .compose(v -> Future.failedFuture(new ApiException(ErrorCode.AGENT_UNAVAILABLE, msg, why)));
    }

    @Override
    public Future<Void> release(AgentHandle handle) {
        String name = handle.agentId();
        if (!CLAIM.matcher(name).matches()) {
            return Future.failedFuture(new IllegalArgumentException("not a LoginRelay claim: " + name));
        }
        live.remove(name);
        return vertx.executeBlocking(() -> {
            api.delete(name);
            return null;
        }, false).<Void>mapEmpty().onSuccess(v -> log.info("claim={} deleted", name));
    }

    @Override
    public Future<Optional<AgentHandle>> find(String agentId) {
        var m = agentId == null ? null : CLAIM.matcher(agentId);
        if (m == null || !m.matches()) {
            return Future.succeededFuture(Optional.empty());
        }
        return vertx.executeBlocking(() -> api.claimOfSession(m.group(1))
                .filter(c -> !SandboxApi.deleting(c) && agentId.equals(c.getMetadata().getName()))
                .flatMap(this::handles), false)
            .compose(found -> found.isEmpty() ? Future.succeededFuture(Optional.<AgentHandle>empty())
                : agents.providers(found.get().own()).map(ok -> {
                    live.put(agentId, found.get().own());
                    log.info("claim={} found again: sandbox={} at {}", agentId, found.get().own().vmId(),
                        found.get().own().baseUrl());
                    return Optional.of(found.get().own());
                }).otherwise(e -> Optional.empty()));
    }

    /** Claims are the cluster's, shared by every replica: a session's claim that is gone is lost, whoever made it. */
    @Override
    public Future<Predicate<String>> madeHere() {
        return Future.succeededFuture(id -> id != null && CLAIM.matcher(id).matches());
    }

    /** Deletes this replica's claims that no live session owns (made just before a crash, or ended while down). */
    @Override
    public Future<Integer> reapExcept(Set<String> owned) {
        return vertx.executeBlocking(() -> {
            int n = 0;
            for (GenericKubernetesResource c : api.claimsOf(config.replica())) {
                String name = c.getMetadata().getName();
                if (!owned.contains(name) && !probing.contains(name) && !SandboxApi.deleting(c)) {
                    api.delete(name);
                    log.info("claim={} deleted: no live session owns it", name);
                    n++;
                }
            }
            return n;
        }, false);
    }

    @Override
    public Map<String, Integer> capacity() {
        return Map.of("claimed", live.size(), "waiting", waiter.size());
    }

    /**
     * The self-check of a claimed agent, else of a ready sandbox of the warm pool (with the bootstrap token); with a
     * template and no session, of a probe Sandbox made from it for the purpose and deleted after.
     */
    @Override
    public Future<JsonObject> providers() {
        return catalog.get();
    }

    private Future<JsonObject> doctor(long deadline) {
        Optional<AgentHandle> any = live.values().stream().findFirst();
        if (any.isEmpty() && config.fromTemplate()) {
            return probe(deadline).map(CliCatalog::fromDoctor).recover(e -> Future.failedFuture(new ApiException(
                ErrorCode.AGENT_UNAVAILABLE, "no sandbox to read the providers from within "
                + config.readyTimeout().toSeconds() + " s: " + e.getMessage(), e)));
        }
        Future<AgentHandle> which = any.isPresent() ? Future.succeededFuture(any.get())
            : vertx.executeBlocking(() -> api.warm(config.warmPool()).stream().findFirst()
                .map(s -> new AgentHandle("warm", "http://" + SandboxApi.serviceHost(s).orElseThrow() + ":"
                    + config.agentPort(), bootstrap, s.getMetadata().getName(), SandboxApi.serviceHost(s).get()))
                .orElseThrow(() -> new IllegalStateException("warm pool " + config.warmPool() + " in namespace "
                    + api.namespace() + " has no ready sandbox")), false);
        return which.compose(agents::doctor).map(CliCatalog::fromDoctor).recover(e -> {
            if (System.nanoTime() > deadline) {
                return Future.failedFuture(new ApiException(ErrorCode.AGENT_UNAVAILABLE, "no sandbox to read the "
                    + "providers from within " + config.readyTimeout().toSeconds() + " s: " + e.getMessage(), e));
            }
            log.info("waiting for a sandbox to read the providers from: {}", e.getMessage());
            return vertx.timer(1000).compose(v -> doctor(deadline));
        });
    }

    /** A Sandbox from the template for the self-check: made, waited for, asked with the bootstrap token, deleted. */
    private Future<JsonObject> probe(long deadline) {
        String name = SandboxApi.CLAIM_PREFIX + "probe-" + UUID.randomUUID();
        probing.add(name);
        return vertx.executeBlocking(() -> api.create(SandboxApi.sandbox(name, null, config.replica(),
                api.blueprint(config.template()), config.claimTtl())), false)
            .compose(made -> awaitSandbox(name, deadline))
            .compose(h -> awaitHealth(h, deadline).compose(ok -> agents.doctor(h)))
            .eventually(() -> vertx.executeBlocking(() -> {
                api.delete(name);
                return null;
            }, false).recover(e -> {
                log.warn("probe sandbox {} not deleted: {}", name, e.getMessage());
                return Future.succeededFuture();
            }).onComplete(v -> probing.remove(name)));
    }

    /** The probe's agent (bootstrap token) once its Sandbox is ready with its service. */
    private Future<AgentHandle> awaitSandbox(String name, long deadline) {
        return vertx.executeBlocking(() -> api.sandbox(name), false).compose(found -> {
            Optional<AgentHandle> h = found.filter(s -> SandboxApi.ready(s) && !SandboxApi.deleting(s))
                .flatMap(s -> SandboxApi.serviceHost(s).map(host -> new AgentHandle("probe", "http://" + host + ":"
                    + config.agentPort(), bootstrap, name, host)));
            if (h.isPresent()) {
                return Future.succeededFuture(h.get());
            }
            if (System.nanoTime() > deadline) {
                return Future.failedFuture("probe sandbox " + name + " from template " + config.template()
                    + " was not ready in time (" + found.map(SandboxApi::whyNotReady).orElse("gone") + ")");
            }
            return vertx.timer(POLL_MS).compose(v -> awaitSandbox(name, deadline));
        });
    }

    /** Closes the API client. Claims stay: their sessions go on, and a restarted controller finds them. */
    @Override
    public void close() {
        client.close();
    }
}
