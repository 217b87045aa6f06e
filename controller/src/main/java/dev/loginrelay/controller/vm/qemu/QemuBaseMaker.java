package dev.loginrelay.controller.vm.qemu;

import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentHandle;
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
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Prepares the base {@link QemuVmPool} makes every VM from ({@link QemuGolden}): found on disk, or made once from
 * the image. {@link #stop} kills the golden source VM while one is being made.
 */
final class QemuBaseMaker {
    /** The golden VM's self-check: each pinned CLI started once; minutes under software emulation (tcg). */
    private static final Duration GOLDEN_DOCTOR = Duration.ofMinutes(5);
    private static final Logger log = LoggerFactory.getLogger(QemuBaseMaker.class);

    private final Vertx vertx;
    private final QemuPoolConfig config;
    private final AgentClient client;
    private final QemuAgentReady ready;
    /** The golden source VM's dir while one is being made. */
    private final AtomicReference<Path> preparing = new AtomicReference<>();

    QemuBaseMaker(Vertx vertx, QemuPoolConfig config, AgentClient client, QemuAgentReady ready) {
        this.vertx = vertx;
        this.config = config;
        this.client = client;
        this.ready = ready;
    }

    /**
     * The base every VM is made from, found on disk or made now: a VM cold-booted from the image (with the providers
     * bundle), its self-check read once its agent answers, then saved as the golden snapshot in restore mode.
     */
    Future<QemuGolden.Base> prepare() {
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

    /** Kills the golden source VM if one is being made. Blocking. */
    void stop() throws InterruptedException {
        Path src = preparing.getAndSet(null);
        if (src != null) {
            QemuVm.kill(src);
        }
    }
}
