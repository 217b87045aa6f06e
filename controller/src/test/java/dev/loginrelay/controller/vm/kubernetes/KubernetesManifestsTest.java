package dev.loginrelay.controller.vm.kubernetes;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The manifests in {@code snapshot/kubernetes/} parse into fabric8's model objects and agree with each other and with
 * the controller: names, labels and selectors, secrets and their keys, the files the {@code _FILE} variables point
 * at, the warm pool and its template, the agent's port, the RBAC the back-end needs and no more, and only variables
 * the controller reads. No cluster is involved: this checks the text, not a deployment.
 */
class KubernetesManifestsTest {
    private static final Path DIR = Path.of(System.getProperty("loginrelay.repo.dir", "..")).toAbsolutePath()
        .normalize().resolve("snapshot/kubernetes");
    private static final List<HasMetadata> ALL = new ArrayList<>();

    @BeforeAll
    static void load() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                for (String doc : Files.readString(f).split("(?m)^---\\s*$")) {
                    if (doc.lines().anyMatch(l -> l.startsWith("kind:"))) {
                        ALL.add(Serialization.unmarshal(doc));
                    }
                }
            }
        }
        assertThat(ALL).as("objects in %s", DIR).hasSizeGreaterThanOrEqualTo(12);
    }

    private static <T extends HasMetadata> T one(Class<T> type) {
        List<T> found = ALL.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(found).as("one %s", type.getSimpleName()).hasSize(1);
        return found.get(0);
    }

    private static GenericKubernetesResource generic(String apiVersion, String kind) {
        List<GenericKubernetesResource> found = ALL.stream().filter(o -> o instanceof GenericKubernetesResource
            && apiVersion.equals(o.getApiVersion()) && kind.equals(o.getKind()))
            .map(GenericKubernetesResource.class::cast).toList();
        assertThat(found).as("one %s %s", apiVersion, kind).hasSize(1);
        return found.get(0);
    }

    private static Container controller() {
        return one(Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    private static Map<String, String> env(Container c) {
        Map<String, String> m = new HashMap<>();
        for (EnvVar e : c.getEnv()) {
            m.put(e.getName(), e.getValue() != null ? e.getValue() : "from-" + e.getValueFrom().getFieldRef()
                .getFieldPath().replace('.', '-'));
        }
        return m;
    }

    @Test
    void everythingLivesInOneNamespace() {
        assertThat(ALL).allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).as(o.getKind())
            .isEqualTo("loginrelay"));
    }

    @Test
    void controllerRunsTwoReplicasUnderItsServiceAccountBehindServiceAndBudget() {
        Deployment d = one(Deployment.class);
        Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(d.getSpec().getReplicas()).isEqualTo(2);
        assertThat(podLabels).containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels());
        assertThat(podLabels).containsAllEntriesOf(one(Service.class).getSpec().getSelector());
        PodDisruptionBudget pdb = one(PodDisruptionBudget.class);
        assertThat(podLabels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
        assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isBetween(1, d.getSpec().getReplicas() - 1);
        assertThat(d.getSpec().getTemplate().getSpec().getServiceAccountName())
            .isEqualTo(one(ServiceAccount.class).getMetadata().getName());
        String port = one(Service.class).getSpec().getPorts().get(0).getTargetPort().getStrVal();
        assertThat(controller().getPorts()).anyMatch(p -> port.equals(p.getName())
            && p.getContainerPort() == Integer.parseInt(env(controller()).get("LOGINRELAY_HTTP_PORT")));
    }

    @Test
    void rbacGrantsTheBackEndWhatItUsesAndNothingMore() {
        RoleBinding b = one(RoleBinding.class);
        Role role = one(Role.class);
        assertThat(b.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
        assertThat(b.getRoleRef().getKind()).isEqualTo("Role");
        assertThat(b.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getKind()).isEqualTo("ServiceAccount");
            assertThat(s.getName()).isEqualTo(one(ServiceAccount.class).getMetadata().getName());
        });
        Map<String, Set<String>> granted = new HashMap<>();
        for (PolicyRule r : role.getRules()) {
            assertThat(r.getResourceNames()).as("no wildcard-free shortcut needed").isNullOrEmpty();
            for (String g : r.getApiGroups()) {
                for (String res : r.getResources()) {
                    granted.computeIfAbsent(g + "/" + res, k -> new TreeSet<>()).addAll(r.getVerbs());
                }
            }
        }
        assertThat(granted).isEqualTo(Map.of(
            SandboxApi.CLAIMS.getGroup() + "/" + SandboxApi.CLAIMS.getPlural(),
            Set.of("create", "get", "list", "watch", "delete"),
            SandboxApi.SANDBOXES.getGroup() + "/" + SandboxApi.SANDBOXES.getPlural(), Set.of("get", "list", "watch")));
    }

    @Test
    void controllerReadsEveryVariableItIsGiven() throws IOException {
        Set<String> read = new TreeSet<>();
        Path src = Path.of("src/main/java");
        Pattern literal = Pattern.compile("\"(LOGINRELAY_[A-Z0-9_]+)\"");
        try (Stream<Path> files = Files.walk(src)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = literal.matcher(Files.readString(f));
                while (m.find()) {
                    read.add(m.group(1));
                }
            }
        }
        for (String name : env(controller()).keySet()) {
            String base = name.endsWith("_FILE") && !read.contains(name) ? name.substring(0, name.length() - 5) : name;
            assertThat(read).as("the controller reads %s", name).contains(base);
        }
    }

    @Test
    void kubernetesSettingsAreValidForTheBackEnd() {
        Map<String, String> env = env(controller());
        KubernetesPoolConfig c = KubernetesPoolConfig.fromEnv(env);
        assertThat(c.warmPool()).isEqualTo(generic(SandboxApi.CLAIM_API, "SandboxWarmPool").getMetadata().getName());
        assertThat(env.get("LOGINRELAY_VM_PROVIDER")).isEqualTo("kubernetes");
        assertThat(env.get("LOGINRELAY_DATABASE_URL")).doesNotContain("password");
    }

    @Test
    void everySecretFileIsAMountedKeyOfAnExistingSecret() {
        PodSpec pod = one(Deployment.class).getSpec().getTemplate().getSpec();
        Map<String, Set<String>> secrets = secretKeys();
        for (Map.Entry<String, String> e : env(controller()).entrySet()) {
            if (!e.getKey().endsWith("_FILE")) {
                continue;
            }
            Path file = Path.of(e.getValue());
            VolumeMount mount = controller().getVolumeMounts().stream()
                .filter(m -> file.getParent().equals(Path.of(m.getMountPath()))).findFirst().orElseThrow(() ->
                    new AssertionError(e.getKey() + " points at " + file + ", in no mounted directory"));
            Volume v = pod.getVolumes().stream().filter(x -> x.getName().equals(mount.getName())).findFirst()
                .orElseThrow();
            assertThat(v.getSecret()).as("%s comes from a Secret", e.getKey()).isNotNull();
            KeyToPath item = v.getSecret().getItems().stream()
                .filter(i -> i.getPath().equals(file.getFileName().toString())).findFirst().orElseThrow(() ->
                    new AssertionError(e.getKey() + ": no item of secret " + v.getSecret().getSecretName() + " is "
                        + file.getFileName()));
            assertThat(secrets).as("secret %s exists", v.getSecret().getSecretName())
                .containsKey(v.getSecret().getSecretName());
            assertThat(secrets.get(v.getSecret().getSecretName())).as("%s has key %s", v.getSecret().getSecretName(),
                item.getKey()).contains(item.getKey());
        }
    }

    /** The secrets by name with their keys: those in secrets.yaml, plus what CloudNativePG makes for its owner. */
    private static Map<String, Set<String>> secretKeys() {
        Map<String, Set<String>> m = new HashMap<>();
        ALL.stream().filter(Secret.class::isInstance).map(Secret.class::cast).forEach(s -> m.put(
            s.getMetadata().getName(), s.getStringData().keySet()));
        GenericKubernetesResource db = generic("postgresql.cnpg.io/v1", "Cluster");
        m.put(db.getMetadata().getName() + "-app", Set.of("username", "password", "host", "port", "dbname", "uri",
            "jdbc-uri"));
        return m;
    }

    @Test
    void databaseUrlNamesTheOperatorsPrimaryServiceDatabaseAndOwner() {
        GenericKubernetesResource db = generic("postgresql.cnpg.io/v1", "Cluster");
        Map<?, ?> initdb = (Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) db.getAdditionalProperties().get("spec"))
            .get("bootstrap")).get("initdb");
        Map<String, String> env = env(controller());
        assertThat(env.get("LOGINRELAY_DATABASE_URL")).isEqualTo("jdbc:postgresql://" + db.getMetadata().getName()
            + "-rw." + db.getMetadata().getNamespace() + ".svc:5432/" + initdb.get("database"));
        assertThat(env.get("LOGINRELAY_DATABASE_USER")).isEqualTo(initdb.get("owner"));
    }

    @Test
    void warmPoolTemplateAndPoliciesAgreeWithTheController() {
        GenericKubernetesResource template = generic(SandboxApi.CLAIM_API, "SandboxTemplate");
        GenericKubernetesResource pool = generic(SandboxApi.CLAIM_API, "SandboxWarmPool");
        assertThat(Serialization.asYaml(pool.getAdditionalProperties().get("spec")))
            .contains("name: \"" + template.getMetadata().getName() + "\"");
        Map<?, ?> spec = (Map<?, ?>) template.getAdditionalProperties().get("spec");
        PodSpecView podTemplate = new PodSpecView((Map<?, ?>) spec.get("podTemplate"));
        Container agent = podTemplate.spec().getContainers().get(0);
        Map<String, String> agentEnv = env(agent);
        String port = env(controller()).get("LOGINRELAY_K8S_AGENT_PORT");
        assertThat(agentEnv.get("LOGINRELAY_AGENT_PORT")).isEqualTo(port);
        assertThat(agent.getPorts()).anyMatch(p -> p.getContainerPort() == Integer.parseInt(port));
        assertThat(agent.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health");
        assertThat(podTemplate.spec().getRuntimeClassName()).isNotBlank();
        assertThat(agent.getResources().getLimits()).containsKeys("cpu", "memory");
        assertThat(podTemplate.spec().getAutomountServiceAccountToken()).isFalse();
        // the pool's token: the file the agent reads is the key the controller mounts as the bootstrap token
        Path tokenFile = Path.of(agentEnv.get("LOGINRELAY_AGENT_TOKEN_FILE"));
        Volume agentVolume = podTemplate.volumeAt(agent, tokenFile.getParent());
        Volume controllerVolume = one(Deployment.class).getSpec().getTemplate().getSpec().getVolumes().stream()
            .filter(v -> v.getName().equals(controller().getVolumeMounts().stream().filter(m -> Path.of(
                env(controller()).get("LOGINRELAY_K8S_BOOTSTRAP_TOKEN_FILE")).getParent().equals(Path.of(
                m.getMountPath()))).findFirst().orElseThrow().getName())).findFirst().orElseThrow();
        assertThat(agentVolume.getSecret().getSecretName()).isEqualTo(controllerVolume.getSecret().getSecretName());
        assertThat(secretKeys()).containsKey(agentVolume.getSecret().getSecretName());
        // in: only the controller's pods on the agent's port
        String rules = Serialization.asYaml(spec.get("networkPolicy"));
        Map<String, String> controllerLabels = one(Deployment.class).getSpec().getTemplate().getMetadata().getLabels();
        controllerLabels.forEach((k, v) -> assertThat(rules).contains(k + ": \"" + v + "\""));
        assertThat(rules).contains("port: " + port);
        // out by name: the Cilium policy selects the template's pods
        GenericKubernetesResource egress = generic("cilium.io/v2", "CiliumNetworkPolicy");
        String selector = Serialization.asYaml(((Map<?, ?>) egress.getAdditionalProperties().get("spec"))
            .get("endpointSelector"));
        podTemplate.labels().forEach((k, v) -> assertThat(selector).contains(k + ": \"" + v + "\""));
        assertThat(Serialization.asYaml(egress.getAdditionalProperties().get("spec"))).contains("auth.openai.com")
            .contains("api.anthropic.com").contains("accounts.google.com");
    }

    /** A SandboxTemplate's {@code podTemplate}, read through fabric8's PodSpec. */
    private record PodSpecView(Map<?, ?> raw) {
        PodSpec spec() {
            return Serialization.unmarshal(Serialization.asJson(raw.get("spec")), PodSpec.class);
        }

        @SuppressWarnings("unchecked")
        Map<String, String> labels() {
            return (Map<String, String>) ((Map<?, ?>) raw.get("metadata")).get("labels");
        }

        Volume volumeAt(Container c, Path dir) {
            String name = c.getVolumeMounts().stream().filter(m -> dir.equals(Path.of(m.getMountPath())))
                .findFirst().orElseThrow().getName();
            return spec().getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst().orElseThrow();
        }
    }
}
