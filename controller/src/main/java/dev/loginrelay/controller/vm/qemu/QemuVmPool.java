package dev.loginrelay.controller.vm.qemu;

import dev.loginrelay.controller.vm.VmPoolContext;
import dev.loginrelay.controller.vm.VmPoolFactory;
import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.vm.CachedFuture;
import dev.loginrelay.controller.vm.CliCatalog;
import dev.loginrelay.controller.vm.DirNames;
import dev.loginrelay.controller.vm.VmPool;
import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
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
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A {@link VmPool} that gives each session its own qemu VM from the golden image ({@code snapshot/}). On first use
 * it prepares a base ({@link QemuGolden}): in restore mode (the default) it cold-boots the image once, waits for the
 * agent, reads its self-check and saves the booted VM as the golden memory snapshot; then each VM is a clone restored
 * from it, its kernel RNG reseeded and its agent re-keyed before use. In cold-boot mode each VM boots the image.
 * Each VM gets a fresh token; its agent is reachable on a 127.0.0.1 port only (qemu user-mode networking), and the
 * guest reaches out only as {@link QemuEgress} allows. Up to {@link QemuPoolConfig#warmVms()} VMs are kept made
 * ahead ({@link WarmClones}), so a click is handed one that is ready. {@link #release} kills qemu and deletes the VM's
 * overlay.
 */
public final class QemuVmPool implements VmPool {
    /** {@code qemu}: a VM per session restored from the golden snapshot ({@code LOGINRELAY_QEMU_*}). */
    public static final class Factory implements VmPoolFactory {
        @Override
        public List<String> names() {
            return List.of("qemu");
        }

        @Override
        public VmPool create(VmPoolContext ctx) {
            return new QemuVmPool(ctx.vertx(), QemuPoolConfig.fromEnv(ctx.env(), ctx.dataDir()), ctx.agents());
        }
    }

    private static final Logger log = LoggerFactory.getLogger(QemuVmPool.class);
    private static final Pattern VM_ID = Pattern.compile("qemu-[a-z0-9]{4,32}");
    private static final Duration CATALOG_TTL = Duration.ofMinutes(10);
    private static final Duration FOREVER = Duration.ofDays(365 * 100);
    /** At most this long a refill waits for the VM just handed out to go quiet. */
    private static final Duration REFILL_WAIT = Duration.ofSeconds(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Vertx vertx;
    private final QemuPoolConfig config;
    private final AgentClient client;
    private final QemuAgentReady ready;
    private final boolean ownsClient;
    /** VMs handed out to sessions (made here or found again) and not released. */
    private final Map<String, AgentHandle> live = new ConcurrentHashMap<>();
    /** Every VM this pool made or found and has not destroyed (handed out, warm, or being made). */
    private final Set<String> ours = ConcurrentHashMap.newKeySet();
    private final WarmClones warm;
    /** At shutdown: no more VMs are made ahead ({@link #stopIdle}). */
    private volatile boolean draining;
    private volatile boolean closed;
    private final CachedFuture<QemuGolden.Base> base;
    private final CachedFuture<JsonObject> catalog;
    private final QemuBaseMaker baseMaker;

    public QemuVmPool(Vertx vertx, QemuPoolConfig config) {
        this(vertx, config, new AgentClient(vertx, Duration.ofSeconds(10)), true);
    }

    public QemuVmPool(Vertx vertx, QemuPoolConfig config, AgentClient client) {
        this(vertx, config, client, false);
    }

    private QemuVmPool(Vertx vertx, QemuPoolConfig config, AgentClient client, boolean ownsClient) {
        this.vertx = vertx;
        this.config = config;
        this.client = client;
        this.ready = new QemuAgentReady(vertx, client);
        this.ownsClient = ownsClient;
        this.baseMaker = new QemuBaseMaker(vertx, config, client, ready);
        this.base = new CachedFuture<>(FOREVER, baseMaker::prepare);
        this.catalog = new CachedFuture<>(CATALOG_TTL, this::doctor);
        QemuQuiet quiet = new QemuQuiet(vertx, REFILL_WAIT);
        this.warm = new WarmClones(config.warmVms(), () -> base.get().compose(b -> make(b, null)), client::health,
            this::destroyLater, h -> settled(quiet, h));
    }

    @Override
    public String name() {
        return "qemu";
    }

    /**
     * A warm VM when one is idle and still answers (the click waits for no restore), else the warm one being made,
     * else one made now; either way the warm VMs are refilled in the background once the VM handed out is quiet.
     */
    @Override
    public Future<AgentHandle> acquire(UUID sessionId) {
        if (closed) {
            return Future.failedFuture(new ApiException(ErrorCode.AGENT_UNAVAILABLE, "the qemu VM provider is closed"));
        }
        long t0 = System.nanoTime();
        return base.get().compose(b -> warm.take().compose(w -> {
            if (w.isPresent()) {
                return Future.succeededFuture(handedOut(sessionId, w.get(), t0));
            }
            // one restore at a time is faster than two side by side: wait for the one already under way
            return warm.inFlight().map(f -> f.<Optional<AgentHandle>>transform(ar -> warm.take()))
                .orElse(Future.succeededFuture(Optional.empty()))
                .compose(w2 -> w2.isPresent() ? Future.succeededFuture(handedOut(sessionId, w2.get(), t0))
                    : make(b, sessionId).onSuccess(h -> {
                        live.put(h.agentId(), h);
                        warm.handedOut(h);
                    }));
        }));
    }

    private AgentHandle handedOut(UUID sessionId, AgentHandle h, long t0) {
        live.put(h.agentId(), h);
        log.info("session={} vm={} warm clone handed out in {} ms", sessionId, h.agentId(), ms(System.nanoTime() - t0));
        return h;
    }

    /**
     * Makes one VM ready for a session: restored from the golden snapshot (or cold-booted), its RNG reseeded and its
     * agent re-keyed to its own fresh token, answering. {@code sessionId} null = ahead of a click.
     */
    private Future<AgentHandle> make(QemuGolden.Base b, UUID sessionId) {
        String vmId = "qemu-" + HexFormat.of().formatHex(bytes(5));
        Secret token = Secret.of(SecretFiles.randomToken());
        Path dir = config.vmDir(vmId);
        long t0 = System.nanoTime();
        long deadline = t0 + config.startTimeout().toNanos();
        ours.add(vmId);
        return vertx.executeBlocking(() -> {
            QemuVm.Running vm = b.snapshot()
                ? QemuVm.launch(config, b.accel(), dir, token, b.disk(), QemuVm.GuestFiles.NONE, true)
                : QemuVm.launch(config, b.accel(), dir, token, config.imageDir().resolve("rootfs.ext4"),
                    new QemuVm.GuestFiles(b.providersTar(), null), false);
            if (draining || closed) { // stopIdle or close ran meanwhile, maybe before this VM's qemu started
                throw new IllegalStateException("the qemu pool is shutting down");
            }
            if (b.snapshot()) {
                QemuVm.restore(vm, b.state(), token, deadline);
            }
            return new AgentHandle(vmId, "http://127.0.0.1:" + vm.port(), token, vmId, "127.0.0.1");
        }, false)
            .compose(h -> ready.health(h, dir, deadline, config.startTimeout()))
            .compose(h -> ready.ownToken(h, deadline))
            .recover(e -> startFailed(vmId, dir, b, e))
            .onSuccess(h -> log.info("session={} vm={} {} to agent ready at {} in {} ms ({})",
                sessionId == null ? "(warm)" : sessionId, vmId, b.snapshot() ? "restored" : "cold-booted",
                h.baseUrl(), ms(System.nanoTime() - t0), b.accel()));
    }

    private Future<Void> settled(QemuQuiet quiet, AgentHandle h) {
        long t0 = System.nanoTime();
        return quiet.await(config.vmDir(h.agentId())).onSuccess(v -> log.info("vm={} settled {} ms after its "
            + "hand-out; the warm VMs may be refilled", h.agentId(), ms(System.nanoTime() - t0)));
    }

    /** Makes VMs in the background until {@code LOGINRELAY_QEMU_WARM_VMS} are idle (the first call prepares it). */
    @Override
    public void warm() {
        if (!closed && !draining) {
            warm.fill();
        }
    }

    @Override
    public Map<String, Integer> capacity() {
        return Map.of("idle", warm.idle(), "busy", live.size(), "starting", warm.starting());
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private <T> Future<T> startFailed(String vmId, Path dir, QemuGolden.Base b, Throwable why) {
        return vertx.executeBlocking(() -> {
            ours.remove(vmId);
            String msg = "vm " + vmId + " (" + (b.snapshot() ? "restore of golden snapshot " + b.key()
                : "cold boot of " + config.imageDir()) + ", " + b.accel() + "): " + why.getMessage()
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
            ours.remove(id);
            return null;
        }, false).<Void>mapEmpty().onSuccess(v -> log.info("vm={} destroyed", id));
    }

    /** Destroys a VM nobody will take (a warm one that died, or was made while stopping), off the event loop. */
    private void destroyLater(AgentHandle h) {
        vertx.executeBlocking(() -> {
            QemuVm.destroy(config.vmDir(h.agentId()));
            ours.remove(h.agentId());
            return null;
        }, false).onFailure(e -> log.warn("vm={} could not be destroyed: {}", h.agentId(), e.toString()));
    }

    /**
     * Destroys the VMs under the work dir that this pool's kind made ({@code qemu-*}) and neither a live session
     * ({@code owned}) nor this pool instance holds: those of sessions that ended while the controller was down, and
     * warm ones a killed controller left. The golden snapshots ({@code golden/}) are not VMs and stay.
     */
    @Override
    public Future<Integer> reapExcept(Set<String> owned) {
        return vertx.executeBlocking(() -> {
            int n = 0;
            for (String id : DirNames.under(config.workDir())) {
                if (VM_ID.matcher(id).matches() && !owned.contains(id) && !ours.contains(id)) {
                    log.info("vm={} is owned by no live session; destroying it", id);
                    QemuVm.destroy(config.vmDir(id));
                    n++;
                }
            }
            return n;
        }, false);
    }

    /** The VMs made here: each has its dir under the work dir until it is released (also when its qemu died). */
    @Override
    public Future<Predicate<String>> madeHere() {
        return vertx.executeBlocking(() -> DirNames.under(config.workDir()), false)
            .map(ids -> id -> VM_ID.matcher(id).matches() && ids.contains(id));
    }

    @Override
    public Future<Optional<AgentHandle>> find(String agentId) {
        if (agentId == null || !VM_ID.matcher(agentId).matches()) {
            return Future.succeededFuture(Optional.empty());
        }
        Path dir = config.vmDir(agentId);
        return vertx.executeBlocking(() -> {
            Optional<QemuVm.Running> vm = QemuVm.load(dir);
            if (vm.isEmpty() && Files.isDirectory(dir)) {
                // its qemu died (with the host, or killed): what is left is an overlay nobody will use
                log.warn("vm={} is dead; deleting its dir; console: {}", agentId, QemuVm.consoleTail(dir));
                QemuVm.destroy(dir);
            }
            return vm.map(r -> new AgentHandle(agentId, "http://127.0.0.1:" + r.port(),
                SecretFiles.read(dir.resolve("token")), agentId, "127.0.0.1"));
        }, false)
            .compose(found -> found.isEmpty() ? Future.succeededFuture(Optional.<AgentHandle>empty())
                : client.health(found.get()).map(ok -> {
                    live.put(agentId, found.get());
                    ours.add(agentId);
                    log.info("vm={} found again at {}", agentId, found.get().baseUrl());
                    return found;
                }).otherwise(e -> Optional.empty()));
    }

    /**
     * A live VM's self-check when one runs; else the base's: the golden VM's (which knows the extra providers), or
     * with plain cold boots the one build.sh ran in the image. The first call prepares the base.
     */
    @Override
    public Future<JsonObject> providers() {
        return catalog.get();
    }

    private Future<JsonObject> doctor() {
        Optional<AgentHandle> any = live.values().stream().findFirst();
        if (any.isPresent()) {
            return client.doctor(any.get()).map(CliCatalog::fromDoctor);
        }
        return base.get().map(b -> CliCatalog.fromDoctor(b.doctor()));
    }

    /**
     * Destroys the VMs made ahead that no session took, and the one being made ahead, and makes no more; VMs of
     * sessions in flight keep running for a restarted controller to find. Blocking.
     */
    @Override
    public void stopIdle() {
        draining = true;
        List<String> ids = new ArrayList<>(warm.stop().stream().map(AgentHandle::agentId).toList());
        // the one being made ahead, if any: its make fails once its qemu is gone, or sees draining after its launch
        ours.stream().filter(id -> !live.containsKey(id) && !ids.contains(id)).forEach(ids::add);
        destroyAll(ids);
        if (!ids.isEmpty()) {
            log.info("destroyed {} warm qemu VMs no session owned", ids.size());
        }
    }

    /** Destroys every VM this provider made or found and has not released, warm ones included. Blocking. */
    @Override
    public void close() {
        closed = true;
        warm.stop();
        List<String> ids = List.copyOf(ours);
        live.clear();
        try {
            baseMaker.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        destroyAll(ids);
        if (!ids.isEmpty()) {
            log.info("destroyed {} qemu VMs", ids.size());
        }
        if (ownsClient) {
            client.close();
        }
    }

    private void destroyAll(List<String> ids) {
        for (String id : ids) {
            try {
                QemuVm.destroy(config.vmDir(id));
                ours.remove(id);
            } catch (Exception e) {
                log.warn("vm={} could not be destroyed: {}", id, e.toString());
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
