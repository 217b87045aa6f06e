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
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A {@link VmPool} that gives each session its own qemu VM from the golden image ({@code snapshot/}). On first use
 * it prepares a base ({@link QemuGolden}): in restore mode (the default) it cold-boots the image once, waits for the
 * agent, reads its self-check and saves the booted VM as the golden memory snapshot; then each VM is a clone restored
 * from it, its kernel RNG reseeded and its agent re-keyed before use. In cold-boot mode each VM boots the image.
 * Each VM gets a fresh token; its agent is reachable on a 127.0.0.1 port only (qemu user-mode networking), and the
 * guest reaches out only as {@link QemuEgress} allows. {@link #release} kills qemu and deletes the VM's overlay.
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

    /** The golden VM's self-check: each pinned CLI started once; minutes under software emulation (tcg). */
    private static final Duration GOLDEN_DOCTOR = Duration.ofMinutes(5);
    private static final Logger log = LoggerFactory.getLogger(QemuVmPool.class);
    private static final Pattern VM_ID = Pattern.compile("qemu-[a-z0-9]{4,32}");
    private static final Duration CATALOG_TTL = Duration.ofMinutes(10);
    private static final Duration FOREVER = Duration.ofDays(365 * 100);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Vertx vertx;
    private final QemuPoolConfig config;
    private final AgentClient client;
    private final QemuAgentReady ready;
    private final boolean ownsClient;
    /** Live VMs this provider made or found and has not released. */
    private final Map<String, AgentHandle> live = new ConcurrentHashMap<>();
    private final CachedFuture<QemuGolden.Base> base;
    private final CachedFuture<JsonObject> catalog;
    /** The golden source VM's dir while one is being made, so that {@link #close} stops it too. */
    private final AtomicReference<Path> preparing = new AtomicReference<>();

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
        this.base = new CachedFuture<>(FOREVER, this::prepare);
        this.catalog = new CachedFuture<>(CATALOG_TTL, this::doctor);
    }

    @Override
    public String name() {
        return "qemu";
    }

    @Override
    public Future<AgentHandle> acquire(UUID sessionId) {
        return base.get().compose(b -> acquire(sessionId, b));
    }

    private Future<AgentHandle> acquire(UUID sessionId, QemuGolden.Base b) {
        String vmId = "qemu-" + HexFormat.of().formatHex(bytes(5));
        Secret token = Secret.of(SecretFiles.randomToken());
        Path dir = config.vmDir(vmId);
        long t0 = System.nanoTime();
        long deadline = t0 + config.startTimeout().toNanos();
        return vertx.executeBlocking(() -> {
            QemuVm.Running vm = b.snapshot()
                ? QemuVm.launch(config, b.accel(), dir, token, b.disk(), QemuVm.GuestFiles.NONE, true)
                : QemuVm.launch(config, b.accel(), dir, token, config.imageDir().resolve("rootfs.ext4"),
                    new QemuVm.GuestFiles(b.providersTar(), null), false);
            if (b.snapshot()) {
                QemuVm.restore(vm, b.state(), token, deadline);
            }
            return new AgentHandle(vmId, "http://127.0.0.1:" + vm.port(), token, vmId, "127.0.0.1");
        }, false)
            .compose(h -> ready.health(h, dir, deadline, config.startTimeout()))
            .compose(h -> ready.ownToken(h, deadline))
            .recover(e -> startFailed(vmId, dir, b, e))
            .onSuccess(h -> {
                live.put(vmId, h);
                log.info("session={} vm={} {} to agent ready at {} in {} ms ({})", sessionId, vmId,
                    b.snapshot() ? "restored" : "cold-booted", h.baseUrl(), (System.nanoTime() - t0) / 1_000_000,
                    b.accel());
            });
    }

    /**
     * The base every VM is made from, found on disk or made now: a VM cold-booted from the image (with the providers
     * bundle), its self-check read once its agent answers, then saved as the golden snapshot in restore mode.
     */
    private Future<QemuGolden.Base> prepare() {
        return vertx.executeBlocking(() -> QemuGolden.plan(config), false).compose(plan -> {
            if (plan.ready()) {
                return vertx.executeBlocking(() -> QemuGolden.load(plan), false)
                    .onSuccess(b -> log.info("golden base {} found ({}, {})", b.key(), b.accel(),
                        b.snapshot() ? "memory snapshot" : "cold boots"));
            }
            if (!config.restore() && plan.providersTar() == null) {
                // cold boots of the image as built: its own self-check (build.sh ran it in the image) is the catalog
                return vertx.executeBlocking(() -> new QemuGolden.Base(null, plan.key(), plan.accel(), null,
                    new JsonObject(Files.readString(config.imageDir().resolve("doctor.json"))), null, null), false);
            }
            return make(plan);
        });
    }

    private Future<QemuGolden.Base> make(QemuGolden.Plan plan) {
        long t0 = System.nanoTime();
        long deadline = t0 + config.startTimeout().toNanos();
        Secret token = Secret.of(SecretFiles.randomToken());
        AtomicReference<Path> work = new AtomicReference<>();
        log.info("making golden base {} ({}, {} MiB, {} vCPUs, egress {}): cold-booting {}", plan.key(),
            plan.accel(), config.memMb(), config.cpus(), config.egress().spec(), config.imageDir());
        return vertx.executeBlocking(() -> {
            work.set(QemuGolden.workDir(plan));
            preparing.set(work.get().resolve("src"));
            return QemuVm.launch(config, plan.accel(), work.get().resolve("src"), token,
                config.imageDir().resolve("rootfs.ext4"), new QemuVm.GuestFiles(plan.providersTar(), null), false);
        }, false)
            .compose(src -> checkAndSave(plan, work.get(), src, token, t0, deadline))
            .onComplete(done -> preparing.set(null))
            .recover(e -> vertx.executeBlocking(() -> {
                String console = work.get() == null ? "" : "; console: "
                    + QemuVm.consoleTail(work.get().resolve("src"));
                QemuGolden.abandon(plan, work.get());
                String msg = "the golden base " + plan.key() + " could not be made from " + config.imageDir() + " ("
                    + plan.accel() + "): " + e.getMessage() + console;
                log.warn("{}", msg);
                throw new ApiException(ErrorCode.AGENT_UNAVAILABLE, msg, e);
            }, false));
    }

    /** Waits for the source VM's agent, reads its self-check, then saves the VM (restore mode) into the base. */
    private Future<QemuGolden.Base> checkAndSave(QemuGolden.Plan plan, Path work, QemuVm.Running src, Secret token,
                                                 long t0, long deadline) {
        AgentHandle h = new AgentHandle("golden", "http://127.0.0.1:" + src.port(), token, "golden", "127.0.0.1");
        AtomicLong healthy = new AtomicLong();
        return ready.health(h, src.dir(), deadline, config.startTimeout())
            .compose(ok -> {
                healthy.set(System.nanoTime());
                return client.doctor(h, GOLDEN_DOCTOR); // every pinned CLI's --version, under emulation
            })
            .compose(doctor -> {
                long checked = System.nanoTime();
                JsonObject record = new JsonObject().put("key", plan.key()).put("accel", plan.accel())
                    .put("image", config.imageDir().toString()).put("memMb", config.memMb())
                    .put("cpus", config.cpus()).put("egress", config.egress().spec()).put("snapshot", config.restore())
                    .put("coldBootToAgentReadyMs", ms(healthy.get() - t0))
                    .put("selfCheckMs", ms(checked - healthy.get()))
                    .put("madeAt", java.time.Instant.now().toString());
                return vertx.executeBlocking(() -> QemuGolden.finish(plan, work, src, doctor, config.restore(),
                        deadline, record), false)
                    .onSuccess(b -> log.info("golden base {} made in {} ms: cold boot to agent ready {} ms, self-check "
                            + "{} ms, {} {} ms", b.key(), ms(System.nanoTime() - t0), ms(healthy.get() - t0),
                        ms(checked - healthy.get()), b.snapshot() ? "save" : "stop", ms(System.nanoTime() - checked)));
            });
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private <T> Future<T> startFailed(String vmId, Path dir, QemuGolden.Base b, Throwable why) {
        return vertx.executeBlocking(() -> {
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
            return null;
        }, false).<Void>mapEmpty().onSuccess(v -> log.info("vm={} destroyed", id));
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

    /** Destroys every VM this provider made or found and has not released. Blocking. */
    @Override
    public void close() {
        List<String> ids = List.copyOf(live.keySet());
        live.clear();
        Path src = preparing.getAndSet(null);
        if (src != null) {
            try {
                QemuVm.kill(src);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
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
