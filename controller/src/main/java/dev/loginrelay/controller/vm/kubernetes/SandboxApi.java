package dev.loginrelay.controller.vm.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The agent-sandbox objects this back-end reads and writes (kubernetes-sigs/agent-sandbox, v1beta1), as generic
 * resources. With a warm pool it creates, lists and deletes {@code SandboxClaim}s ({@code extensions.agents.x-k8s.io})
 * and reads {@code Sandbox}es ({@code agents.x-k8s.io}). With a template it reads the {@code SandboxTemplate} and
 * creates, lists and deletes {@code Sandbox}es made from it: v1beta1 claims name a warm pool only (upstream dropped
 * the claim's template reference), so a cold start without a pool is a Sandbox of our own. Either way the per-session
 * object is called the claim below. Every method blocks on the API server: call off the event loop.
 */
final class SandboxApi {
    static final String CLAIM_API = "extensions.agents.x-k8s.io/v1beta1";
    static final String SANDBOX_API = "agents.x-k8s.io/v1beta1";
    static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    static final String SESSION = "loginrelay.dev/session";
    static final String REPLICA = "loginrelay.dev/replica";
    static final String CLAIM_PREFIX = "loginrelay-";

    static final ResourceDefinitionContext CLAIMS = new ResourceDefinitionContext.Builder()
        .withGroup("extensions.agents.x-k8s.io").withVersion("v1beta1").withKind("SandboxClaim")
        .withPlural("sandboxclaims").withNamespaced(true).build();
    static final ResourceDefinitionContext SANDBOXES = new ResourceDefinitionContext.Builder()
        .withGroup("agents.x-k8s.io").withVersion("v1beta1").withKind("Sandbox")
        .withPlural("sandboxes").withNamespaced(true).build();
    static final ResourceDefinitionContext TEMPLATES = new ResourceDefinitionContext.Builder()
        .withGroup("extensions.agents.x-k8s.io").withVersion("v1beta1").withKind("SandboxTemplate")
        .withPlural("sandboxtemplates").withNamespaced(true).build();
    /** What a template's spec gives a Sandbox: the blueprint both share (agent-sandbox's SandboxBlueprint). */
    private static final List<String> BLUEPRINT = List.of("podTemplate", "volumeClaimTemplates", "service");

    private final KubernetesClient client;
    private final String namespace;
    /** The per-session kind: {@link #CLAIMS} on a warm pool, {@link #SANDBOXES} from a template. */
    private final ResourceDefinitionContext owned;

    SandboxApi(KubernetesClient client, String namespace, boolean fromTemplate) {
        this.client = client;
        this.namespace = namespace;
        this.owned = fromTemplate ? SANDBOXES : CLAIMS;
    }

    String namespace() {
        return namespace;
    }

    static String claimName(UUID sessionId) {
        return CLAIM_PREFIX + sessionId;
    }

    /**
     * A claim on {@code warmPool} for the session, labelled with it and the replica; the cluster deletes it itself
     * at {@code ttl} from now if no controller does.
     */
    static GenericKubernetesResource claim(UUID sessionId, String replica, String warmPool, java.time.Duration ttl) {
        GenericKubernetesResource c = new GenericKubernetesResource();
        c.setApiVersion(CLAIM_API);
        c.setKind("SandboxClaim");
        c.setMetadata(new ObjectMetaBuilder().withName(claimName(sessionId))
            .withLabels(Map.of(MANAGED_BY, "loginrelay", SESSION, sessionId.toString(), REPLICA, replica)).build());
        c.setAdditionalProperty("spec", Map.of(
            "warmPoolRef", Map.of("name", warmPool),
            "lifecycle", Map.of("shutdownTime", Instant.now().plus(ttl).truncatedTo(ChronoUnit.SECONDS).toString(),
                "shutdownPolicy", "Delete")));
        return c;
    }

    /**
     * The template's blueprint (pod template, volume claim templates, service), as a Sandbox's spec takes it; fails
     * naming the template when it does not exist.
     */
    Map<String, Object> blueprint(String template) {
        GenericKubernetesResource t = client.genericKubernetesResources(TEMPLATES).inNamespace(namespace)
            .withName(template).get();
        if (t == null || !(t.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec)
            || !(spec.get("podTemplate") instanceof Map<?, ?>)) {
            throw new IllegalStateException("SandboxTemplate " + template + " in namespace " + namespace
                + (t == null ? " does not exist" : " has no spec.podTemplate"));
        }
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        BLUEPRINT.forEach(k -> {
            if (spec.get(k) != null) {
                out.put(k, spec.get(k));
            }
        });
        return out;
    }

    /**
     * A Sandbox of the template's {@code blueprint} under {@code name}, labelled with the session (null for a probe)
     * and the replica; the sandbox controller deletes it itself at {@code ttl} from now if no controller does.
     */
    static GenericKubernetesResource sandbox(String name, UUID sessionId, String replica,
                                             Map<String, Object> blueprint, java.time.Duration ttl) {
        GenericKubernetesResource s = new GenericKubernetesResource();
        s.setApiVersion(SANDBOX_API);
        s.setKind("Sandbox");
        Map<String, String> labels = new java.util.HashMap<>(Map.of(MANAGED_BY, "loginrelay", REPLICA, replica));
        if (sessionId != null) {
            labels.put(SESSION, sessionId.toString());
        }
        s.setMetadata(new ObjectMetaBuilder().withName(name).withLabels(labels).build());
        Map<String, Object> spec = new java.util.LinkedHashMap<>(blueprint);
        spec.put("shutdownTime", Instant.now().plus(ttl).truncatedTo(ChronoUnit.SECONDS).toString());
        spec.put("shutdownPolicy", "Delete");
        s.setAdditionalProperty("spec", spec);
        return s;
    }

    /** Creates the claim; one that exists already under its name (a retried start of the session) is kept. */
    GenericKubernetesResource create(GenericKubernetesResource claim) {
        try {
            return client.genericKubernetesResources(owned).inNamespace(namespace).resource(claim).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return client.genericKubernetesResources(owned).inNamespace(namespace)
                    .withName(claim.getMetadata().getName()).get();
            }
            throw e;
        }
    }

    /** This replica's claims. */
    List<GenericKubernetesResource> claimsOf(String replica) {
        return client.genericKubernetesResources(owned).inNamespace(namespace).withLabel(MANAGED_BY, "loginrelay")
            .withLabel(REPLICA, replica).list().getItems();
    }

    /** The claim of a session, found by its session label (whichever replica made it). */
    Optional<GenericKubernetesResource> claimOfSession(String sessionId) {
        return client.genericKubernetesResources(owned).inNamespace(namespace).withLabel(MANAGED_BY, "loginrelay")
            .withLabel(SESSION, sessionId).list().getItems().stream().findFirst();
    }

    /** Deletes a claim (the cluster deletes its sandbox with it); one already gone is fine. */
    void delete(String claimName) {
        client.genericKubernetesResources(owned).inNamespace(namespace).withName(claimName).delete();
    }

    Optional<GenericKubernetesResource> sandbox(String name) {
        return Optional.ofNullable(client.genericKubernetesResources(SANDBOXES).inNamespace(namespace).withName(name)
            .get());
    }

    /** The ready sandboxes the warm pool holds now (owned by it, not yet adopted by a claim). */
    List<GenericKubernetesResource> warm(String warmPool) {
        return client.genericKubernetesResources(SANDBOXES).inNamespace(namespace).list().getItems().stream()
            .filter(s -> ownedBy(s, "SandboxWarmPool", warmPool) && ready(s) && serviceHost(s).isPresent())
            .toList();
    }

    private static boolean ownedBy(GenericKubernetesResource r, String kind, String name) {
        List<OwnerReference> owners = r.getMetadata().getOwnerReferences();
        return owners != null && owners.stream().anyMatch(o -> kind.equals(o.getKind()) && name.equals(o.getName()));
    }

    /** The claim's or sandbox's {@code Ready} condition is {@code True}. */
    static boolean ready(GenericKubernetesResource r) {
        return condition(r, "Ready").map(c -> "True".equals(c.get("status"))).orElse(false);
    }

    /** Why it is not ready: the {@code Ready} condition's reason and message, for error messages. */
    static String whyNotReady(GenericKubernetesResource r) {
        return condition(r, "Ready").map(c -> c.get("reason") + ": " + c.get("message"))
            .orElse("no Ready condition yet");
    }

    /** The claim's sandbox, once the claim controller bound one. */
    static Optional<String> sandboxName(GenericKubernetesResource claim) {
        if ("Sandbox".equals(claim.getKind())) {
            return Optional.of(claim.getMetadata().getName());
        }
        Object sandbox = status(claim).get("sandbox");
        return sandbox instanceof Map<?, ?> m && m.get("name") instanceof String s && !s.isBlank()
            ? Optional.of(s) : Optional.empty();
    }

    /**
     * Where the sandbox's service answers (a headless service: the pod's address): its {@code serviceFQDN}, else
     * {@code <service>.<namespace>.svc} from its {@code service}.
     */
    static Optional<String> serviceHost(GenericKubernetesResource sandbox) {
        Map<?, ?> status = status(sandbox);
        if (status.get("serviceFQDN") instanceof String fqdn && !fqdn.isBlank()) {
            return Optional.of(fqdn);
        }
        String ns = sandbox.getMetadata().getNamespace();
        return status.get("service") instanceof String svc && !svc.isBlank() && ns != null
            ? Optional.of(svc + "." + ns + ".svc") : Optional.empty();
    }

    static boolean deleting(GenericKubernetesResource r) {
        return r.getMetadata().getDeletionTimestamp() != null;
    }

    private static Optional<Map<?, ?>> condition(GenericKubernetesResource r, String type) {
        if (!(status(r).get("conditions") instanceof List<?> list)) {
            return Optional.empty();
        }
        return list.stream().filter(c -> c instanceof Map<?, ?> m && type.equals(m.get("type")))
            .<Map<?, ?>>map(c -> (Map<?, ?>) c).findFirst();
    }

    private static Map<?, ?> status(GenericKubernetesResource r) {
        return r.getAdditionalProperties().get("status") instanceof Map<?, ?> m ? m : Map.of();
    }
}
