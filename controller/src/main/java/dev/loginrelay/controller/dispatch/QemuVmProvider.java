package dev.loginrelay.controller.dispatch;

import dev.loginrelay.controller.api.ApiException;
import dev.loginrelay.controller.api.ErrorCode;
import dev.loginrelay.controller.support.Secret;
import dev.loginrelay.controller.support.SecretFiles;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A {@link VmProvider} that gives each session its own qemu VM from the golden image ({@code snapshot/}): a clone
 * restored from a saved booted VM when a snapshot is configured (its RNG reseeded and its agent re-keyed before
 * use), a cold boot otherwise. Each VM gets a fresh token; its agent is reachable on a 127.0.0.1 port only (qemu
 * user-mode networking). {@link #release} kills qemu and deletes the VM's overlay.
 */
public final class QemuVmProvider implements VmProvider {
    private static final Logger log = LoggerFactory.getLogger(QemuVmProvider.class);
    private static final Pattern VM_ID = Pattern.compile("qemu-[a-z0-9]{4,32}");
    private static final long POLL_MS = 500;
    private static final Duration CATALOG_TTL = Duration.ofMinutes(10);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Vertx vertx;
    private final QemuVmConfig config;
    private final AgentClient client;
    private final boolean ownsClient;
    /** Live VMs this provider made or found and has not released. */
    private final Map<String, AgentHandle> live = new ConcurrentHashMap<>();
    private final CachedFuture<JsonObject> catalog;

    public QemuVmProvider(Vertx vertx, QemuVmConfig config) {
        this(vertx, config, new AgentClient(vertx, Duration.ofSeconds(10)), true);
    }

    public QemuVmProvider(Vertx vertx, QemuVmConfig config, AgentClient client) {
        this(vertx, config, client, false);
    }

    private QemuVmProvider(Vertx vertx, QemuVmConfig config, AgentClient client, boolean ownsClient) {
        this.vertx = vertx;
        this.config = config;
        this.client = client;
        this.ownsClient = ownsClient;
        this.catalog = new CachedFuture<>(CATALOG_TTL, this::doctor);
    }

    @Override
    public String name() {
        return "qemu";
    }

    @Override
    public Future<AgentHandle> acquire(UUID sessionId) {
        String vmId = "qemu-" + HexFormat.of().formatHex(bytes(5));
        Secret token = Secret.of(SecretFiles.randomToken());
        Path dir = config.vmDir(vmId);
        long t0 = System.nanoTime();
        long deadline = t0 + config.startTimeout().toNanos();
        boolean restore = config.snapshotDir() != null;
        return vertx.executeBlocking(() -> {
            QemuVm.Running vm = QemuVm.launch(config, dir, token);
            if (restore) {
                QemuVm.restore(config, vm, token, deadline);
            }
            return new AgentHandle(vmId, "http://127.0.0.1:" + vm.port(), token, vmId, "127.0.0.1");
        }, false)
            .compose(h -> awaitHealth(h, deadline))
            // a restored clone answers /health with the snapshot's token still in memory until it is re-keyed:
            // an authenticated call with this VM's own token proves the re-key took
            .compose(h -> client.providers(h).map(ok -> h))
            .recover(e -> startFailed(vmId, dir, e))
            .onSuccess(h -> {
                live.put(vmId, h);
                log.info("session={} vm={} {} to agent ready at {} in {} ms ({})", sessionId, vmId,
                    restore ? "restored" : "cold-booted", h.baseUrl(), (System.nanoTime() - t0) / 1_000_000,
                    config.accel());
            });
    }

    private Future<AgentHandle> awaitHealth(AgentHandle h, long deadline) {
        return client.health(h).map(ok -> h).recover(e -> {
            if (QemuVm.load(config.vmDir(h.vmId())).isEmpty()) {
                return Future.failedFuture("qemu exited before the agent answered /health");
            }
            if (System.nanoTime() > deadline) {
                return Future.failedFuture("the agent did not answer /health within "
                    + config.startTimeout().toSeconds() + " s: " + e.getMessage());
            }
            return vertx.timer(POLL_MS).compose(v -> awaitHealth(h, deadline));
        });
    }

    private <T> Future<T> startFailed(String vmId, Path dir, Throwable why) {
        return vertx.executeBlocking(() -> {
            String msg = "vm " + vmId + " (" + (config.snapshotDir() != null ? "restore of " + config.snapshotDir()
                : "cold boot of " + config.imageDir()) + ", " + config.accel() + "): " + why.getMessage()
                + "; console: " + QemuVm.consoleTail(dir);
            QemuVm.destroy(dir);
            log.warn("{}", msg);
            throw new ApiException(ErrorCode.AGENT_UNAVAILABLE, msg, why);
        }, false);
    }

    @Override
    public Future<Void> release(AgentHandle handle) {
        String id = handle.agentId();
        if (!VM_ID.matcher(id).matches()) {
            return Future.failedFuture(new IllegalArgumentException("not a qemu VM id: " + id));
        }
        live.remove(id);
        return vertx.executeBlocking(() -> {
            QemuVm.destroy(config.vmDir(id));
            return null;
        }, false).<Void>mapEmpty().onSuccess(v -> log.info("vm={} destroyed", id));
    }

    @Override
    public Future<Optional<AgentHandle>> find(String agentId) {
        if (agentId == null || !VM_ID.matcher(agentId).matches()) {
            return Future.succeededFuture(Optional.empty());
        }
        Path dir = config.vmDir(agentId);
        return vertx.executeBlocking(() -> QemuVm.load(dir).map(vm -> new AgentHandle(agentId,
                "http://127.0.0.1:" + vm.port(), SecretFiles.read(dir.resolve("token")), agentId, "127.0.0.1")), false)
            .compose(found -> found.isEmpty() ? Future.succeededFuture(Optional.<AgentHandle>empty())
                : client.health(found.get()).map(ok -> {
                    live.put(agentId, found.get());
                    log.info("vm={} found again at {}", agentId, found.get().baseUrl());
                    return found;
                }).otherwise(e -> Optional.empty()));
    }

    /** A live VM's self-check when one runs; else the one build.sh ran in the image ({@code doctor.json}). */
    @Override
    public Future<JsonObject> providers() {
        return catalog.get();
    }

    private Future<JsonObject> doctor() {
        Optional<AgentHandle> any = live.values().stream().findFirst();
        if (any.isPresent()) {
            return client.doctor(any.get()).map(ProviderCatalog::fromDoctor);
        }
        return vertx.executeBlocking(() -> ProviderCatalog.fromDoctor(new JsonObject(
            Files.readString(config.imageDir().resolve("doctor.json")))), false);
    }

    /** Destroys every VM this provider made or found and has not released. Blocking. */
    @Override
    public void close() {
        List<String> ids = List.copyOf(live.keySet());
        live.clear();
        for (String id : ids) {
            try {
                QemuVm.destroy(config.vmDir(id));
            } catch (Exception e) {
                log.warn("vm={} could not be destroyed: {}", id, e.toString());
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (!ids.isEmpty()) {
            log.info("destroyed {} qemu VMs", ids.size());
        }
        if (ownsClient) {
            client.close();
        }
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
