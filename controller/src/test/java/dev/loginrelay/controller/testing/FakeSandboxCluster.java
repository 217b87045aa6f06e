package dev.loginrelay.controller.testing;

import dev.loginrelay.agent.Agent;
import dev.loginrelay.agent.config.AgentConfig;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.vertx.core.Vertx;
import okhttp3.mockwebserver.MockWebServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A simulated cluster for the {@code kubernetes} pool: fabric8's mock API server in CRUD mode (it stores what is
 * written and answers lists by label, but runs no controller), plus this small stand-in for agent-sandbox's
 * controllers. It keeps {@code warm} sandboxes booted ahead (each a real agent started in this JVM on its own
 * loopback address ({@link PodNetwork}), holding the pool's bootstrap token, as a pod of the template would), binds
 * each new claim to a warm sandbox or cold-starts one while fewer than {@code capacity} exist, else leaves it
 * waiting, and writes the status the real controllers write ({@code Ready} conditions, {@code status.sandbox.name},
 * {@code status.serviceFQDN}). A {@code Sandbox} someone else created (the pool's template mode: one per session,
 * made from a {@code SandboxTemplate}) is booted cold the same way and marked ready, as the sandbox controller would;
 * one whose spec has no {@code podTemplate} is marked not ready instead. A claim deleted takes its sandbox (and agent)
 * with it; a sandbox deleted stops its agent. What it does not simulate: scheduling, images, runtime classes, network policies, DNS.
 */
public final class FakeSandboxCluster implements AutoCloseable {
    public static final String NAMESPACE = "loginrelay";
    public static final String POOL = "loginrelay-agents";
    private static final String CLAIM_API = "extensions.agents.x-k8s.io/v1beta1";
    private static final String SANDBOX_API = "agents.x-k8s.io/v1beta1";
    public static final CustomResourceDefinitionContext CLAIMS = new CustomResourceDefinitionContext.Builder()
        .withGroup("extensions.agents.x-k8s.io").withVersion("v1beta1").withKind("SandboxClaim")
        .withPlural("sandboxclaims").withScope("Namespaced").build();
    public static final CustomResourceDefinitionContext SANDBOXES = new CustomResourceDefinitionContext.Builder()
        .withGroup("agents.x-k8s.io").withVersion("v1beta1").withKind("Sandbox")
        .withPlural("sandboxes").withScope("Namespaced").build();
    public static final CustomResourceDefinitionContext TEMPLATES = new CustomResourceDefinitionContext.Builder()
        .withGroup("extensions.agents.x-k8s.io").withVersion("v1beta1").withKind("SandboxTemplate")
        .withPlural("sandboxtemplates").withScope("Namespaced").build();
    public static final String TEMPLATE = "loginrelay-agent";
    /** The image in {@link #TEMPLATE}'s pod template, to recognise it in the Sandboxes made from it. */
    public static final String TEMPLATE_IMAGE = "registry.invalid/loginrelay/agent:test";

    private final KubernetesMockServer server;
    public final KubernetesClient client;
    private final Vertx vertx = Vertx.vertx();
    private final Path dir;
    private final Path providers;
    public final Path bootstrapToken;
    public final int agentPort;
    private final int warm;
    private final int capacity;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fake-sandbox-controller");
        t.setDaemon(true);
        return t;
    });
    /** Live sandboxes by name: their agent, and the claim that adopted them (null while warm). */
    private final Map<String, Sandbox> sandboxes = new LinkedHashMap<>();
    /** Claims by name in the order this controller first saw them: it binds them in that order. */
    private final Map<String, Instant> seen = new LinkedHashMap<>();
    /** When each claim was bound, for the measurements. */
    public final Map<String, Instant> bound = new ConcurrentHashMap<>();
    private int made;

    private static final class Sandbox {
        final Agent agent;
        final PodNetwork network;
        String claim;
        /** Made by someone else from a template: never warm, never adopted. */
        boolean own;

        Sandbox(Agent agent, PodNetwork network) {
            this.agent = agent;
            this.network = network;
        }
    }

    public FakeSandboxCluster(Path dir, Path providers, int warm, int capacity) throws Exception {
        this.dir = dir;
        this.providers = providers;
        this.warm = warm;
        this.capacity = capacity;
        this.server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
            new KubernetesCrudDispatcher(List.of(CLAIMS, SANDBOXES, TEMPLATES)), false);
        server.init();
        this.client = server.createClient();
        this.bootstrapToken = dir.resolve("bootstrap.token");
        Files.writeString(bootstrapToken, SecretsForTests.BOOTSTRAP + "\n");
        this.agentPort = AgentKit.freePort();
        GenericKubernetesResource template = new GenericKubernetesResource();
        template.setApiVersion(CLAIM_API);
        template.setKind("SandboxTemplate");
        template.setMetadata(new ObjectMetaBuilder().withName(TEMPLATE).build());
        template.setAdditionalProperty("spec", Map.of("podTemplate", Map.of("metadata", Map.of("labels",
            Map.of("app", "loginrelay-agent")), "spec", Map.of("containers", List.of(Map.of("name", "agent",
            "image", TEMPLATE_IMAGE))))));
        client.genericKubernetesResources(TEMPLATES).inNamespace(NAMESPACE).resource(template).create();
        loop.scheduleWithFixedDelay(this::reconcileSafely, 0, 25, TimeUnit.MILLISECONDS);
    }

    /** The API server's URL, for {@code LOGINRELAY_K8S_API_URL}. */
    public String apiUrl() {
        return client.getMasterUrl().toString();
    }

    /** Agents running now (warm and claimed). */
    public synchronized int running() {
        return sandboxes.size();
    }

    private void reconcileSafely() {
        try {
            reconcile();
        } catch (Exception e) {
            System.err.println("fake sandbox controller: " + e);
        }
    }

    private synchronized void reconcile() throws Exception {
        Map<String, GenericKubernetesResource> claims = new LinkedHashMap<>();
        client.genericKubernetesResources(CLAIMS).inNamespace(NAMESPACE).list().getItems()
            .forEach(c -> claims.put(c.getMetadata().getName(), c));
        claims.keySet().forEach(n -> seen.putIfAbsent(n, Instant.now()));
        seen.keySet().retainAll(claims.keySet());
        // sandboxes deleted by someone else, or whose claim is gone (the garbage collector's cascade)
        List<String> objects = new ArrayList<>();
        List<GenericKubernetesResource> unbooted = new ArrayList<>();
        client.genericKubernetesResources(SANDBOXES).inNamespace(NAMESPACE).list().getItems().forEach(s -> {
            objects.add(s.getMetadata().getName());
            if (!sandboxes.containsKey(s.getMetadata().getName()) && s.getAdditionalProperties().get("status") == null
                && s.getMetadata().getDeletionTimestamp() == null) {
                unbooted.add(s);
            }
        });
        for (String name : List.copyOf(sandboxes.keySet())) {
            Sandbox s = sandboxes.get(name);
            if (!objects.contains(name) || s.claim != null && !claims.containsKey(s.claim)) {
                stop(name);
                if (s.claim != null && claims.containsKey(s.claim)) {
                    markLost(claims.get(s.claim));
                }
            }
        }
        for (String name : seen.keySet()) {
            GenericKubernetesResource c = claims.get(name);
            if (!bound.containsKey(name) && c.getMetadata().getDeletionTimestamp() == null) {
                bind(c);
            }
        }
        for (GenericKubernetesResource s : unbooted) {
            if (sandboxes.size() < capacity) {
                bootCold(s);
            }
        }
        while (warmCount() < warm && sandboxes.size() < capacity) {
            start(null);
        }
    }

    private void bind(GenericKubernetesResource claim) throws Exception {
        String name = claim.getMetadata().getName();
        String sandbox = sandboxes.entrySet().stream().filter(e -> e.getValue().claim == null && !e.getValue().own)
            .map(Map.Entry::getKey).findFirst().orElse(null);
        if (sandbox == null && sandboxes.size() < capacity) {
            sandbox = start(name); // cold start from the template
        }
        if (sandbox == null) {
            return; // the cluster is full: the claim waits
        }
        sandboxes.get(sandbox).claim = name;
        GenericKubernetesResource s = client.genericKubernetesResources(SANDBOXES).inNamespace(NAMESPACE)
            .withName(sandbox).get();
        s.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion(CLAIM_API)
            .withKind("SandboxClaim").withName(name).withUid(claim.getMetadata().getUid()).build()));
        client.genericKubernetesResources(SANDBOXES).inNamespace(NAMESPACE).resource(s).update();
        claim.setAdditionalProperty("status", Map.of("conditions", List.of(condition("True", "DependenciesReady")),
            "sandbox", Map.of("name", sandbox)));
        client.genericKubernetesResources(CLAIMS).inNamespace(NAMESPACE).resource(claim).update();
        bound.put(name, Instant.now());
    }

    private void markLost(GenericKubernetesResource claim) {
        claim.setAdditionalProperty("status", Map.of("conditions", List.of(condition("False", "SandboxMissing"))));
        client.genericKubernetesResources(CLAIMS).inNamespace(NAMESPACE).resource(claim).update();
    }

    /** Boots a sandbox: a real agent on its own loopback address with the pool's token, then its Sandbox object. */
    private String start(String claim) throws Exception {
        int i = ++made;
        String name = POOL + "-" + i;
        String host = boot(name, i);
        GenericKubernetesResource s = new GenericKubernetesResource();
        s.setApiVersion(SANDBOX_API);
        s.setKind("Sandbox");
        s.setMetadata(new ObjectMetaBuilder().withName(name).withOwnerReferences(new OwnerReferenceBuilder()
            .withApiVersion(CLAIM_API).withKind(claim == null ? "SandboxWarmPool" : "SandboxClaim")
            .withName(claim == null ? POOL : claim).withUid("uid-" + name).build()).build());
        s.setAdditionalProperty("status", Map.of("conditions", List.of(condition("True", "DependenciesReady")),
            "service", name, "serviceFQDN", host));
        client.genericKubernetesResources(SANDBOXES).inNamespace(NAMESPACE).resource(s).create();
        return name;
    }

    /**
     * A Sandbox object made by someone else (from a template): boots its agent cold and writes its ready status, or
     * a not-ready one when its spec has no pod template to run.
     */
    private void bootCold(GenericKubernetesResource s) throws Exception {
        String name = s.getMetadata().getName();
        if (!(s.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec
            && spec.get("podTemplate") instanceof Map<?, ?>)) {
            s.setAdditionalProperty("status", Map.of("conditions", List.of(condition("False", "ReconcilerError"))));
            client.genericKubernetesResources(SANDBOXES).inNamespace(NAMESPACE).resource(s).update();
            return;
        }
        String host = boot(name, ++made);
        sandboxes.get(name).own = true;
        s.setAdditionalProperty("status", Map.of("conditions", List.of(condition("True", "DependenciesReady")),
            "service", name, "serviceFQDN", host));
        client.genericKubernetesResources(SANDBOXES).inNamespace(NAMESPACE).resource(s).update();
        bound.put(name, Instant.now());
    }

    /** A real agent for sandbox {@code name} on loopback address number {@code i}; returns that address. */
    private String boot(String name, int i) throws Exception {
        String host = "127.1." + (i / 250) + "." + (i % 250 + 1);
        Path home = Files.createDirectories(dir.resolve("sandboxes").resolve(name));
        AgentConfig config = AgentConfig.from(Map.of("LOGINRELAY_AGENT_HOST", "127.0.0.1",
            "LOGINRELAY_AGENT_PORT", "0", "LOGINRELAY_AGENT_WORK_DIR", home.toString(),
            "LOGINRELAY_AGENT_TOKEN_FILE", bootstrapToken.toString(),
            "LOGINRELAY_AGENT_LOCK_DIR", home.resolve("locks").toString(),
            "LOGINRELAY_AGENT_PROVIDERS_DIR", providers.toString()), List.of());
        Agent agent = Agent.deploy(vertx, config).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        PodNetwork network = PodNetwork.open(vertx, host, agentPort, agent.port());
        sandboxes.put(name, new Sandbox(agent, network));
        return host;
    }

    private void stop(String name) throws Exception {
        Sandbox s = sandboxes.remove(name);
        s.network.cut();
        if (vertx.deploymentIDs().contains(s.agent.deploymentID())) {
            vertx.undeploy(s.agent.deploymentID()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        client.genericKubernetesResources(SANDBOXES).inNamespace(NAMESPACE).withName(name).delete();
    }

    private int warmCount() {
        return (int) sandboxes.values().stream().filter(s -> s.claim == null && !s.own).count();
    }

    private static Map<String, Object> condition(String status, String reason) {
        return Map.of("type", "Ready", "status", status, "reason", reason, "message", reason,
            "lastTransitionTime", Instant.now().toString());
    }

    /** The Sandboxes in the API server now. */
    public List<GenericKubernetesResource> sandboxObjects() {
        return client.genericKubernetesResources(SANDBOXES).inNamespace(NAMESPACE).list().getItems();
    }

    /** The claims in the API server now, by name. */
    public List<GenericKubernetesResource> claims() {
        return client.genericKubernetesResources(CLAIMS).inNamespace(NAMESPACE).list().getItems();
    }

    /**
     * Deletes a sandbox under whatever session uses it: {@code abrupt}, its address goes first, as when its node is
     * lost; else its agent is stopped in order first (a pod's SIGTERM: an eviction, a node drain).
     */
    public void deleteSandboxOf(String claim, boolean abrupt) throws Exception {
        GenericKubernetesResource c = client.genericKubernetesResources(CLAIMS).inNamespace(NAMESPACE)
            .withName(claim).get();
        @SuppressWarnings("unchecked")
        String sandbox = (String) ((Map<String, Object>) ((Map<String, Object>) c.getAdditionalProperties()
            .get("status")).get("sandbox")).get("name");
        if (!abrupt) {
            synchronized (this) {
                Sandbox s = sandboxes.get(sandbox);
                vertx.undeploy(s.agent.deploymentID()).toCompletionStage().toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            }
        }
        client.genericKubernetesResources(SANDBOXES).inNamespace(NAMESPACE).withName(sandbox).delete();
    }

    @Override
    public void close() throws Exception {
        loop.shutdownNow();
        loop.awaitTermination(10, TimeUnit.SECONDS);
        client.close();
        server.destroy();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
