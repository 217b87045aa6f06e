package dev.loginrelay.controller.vm.qemu;

import dev.loginrelay.controller.testing.Futures;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The wait before a refill: over at once for an idle or gone VM, held while its process burns CPU (up to max). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@org.junit.jupiter.api.extension.ExtendWith(io.vertx.junit5.VertxExtension.class)
class QemuQuietTest {
    @TempDir
    Path tmp;
    Vertx vertx;

    @BeforeEach
    void vertx(Vertx v) {
        vertx = v; // VertxExtension closes it after each test
    }

    @Test
    void readsTheCpuTimeOfAProcess() {
        assertThat(QemuQuiet.cpuTicks(ProcessHandle.current().pid())).as("this JVM has used CPU").isPositive();
        assertThat(QemuQuiet.cpuTicks(Long.MAX_VALUE)).isEqualTo(-1);
    }

    @Test
    void anIdleVmIsQuietWithinSeconds() throws Exception {
        Process idle = new ProcessBuilder("sleep", "300").start();
        try {
            assertThat(waitedMs(vm("qemu-idle", idle), Duration.ofSeconds(20))).isLessThan(5_000);
        } finally {
            idle.destroyForcibly();
        }
    }

    @Test
    void aBusyVmHoldsTheRefillUntilMax() throws Exception {
        Process busy = new ProcessBuilder("sh", "-c", "while :; do :; done").start();
        try {
            assertThat(waitedMs(vm("qemu-busy", busy), Duration.ofSeconds(3))).isBetween(3_000L, 15_000L);
        } finally {
            busy.destroyForcibly();
        }
    }

    @Test
    void aVmThatIsGoneIsQuiet() throws Exception {
        assertThat(waitedMs(Files.createDirectories(tmp.resolve("qemu-gone")), Duration.ofSeconds(20)))
            .isLessThan(2_000);
    }

    private long waitedMs(Path dir, Duration max) {
        long t0 = System.nanoTime();
        Futures.await(new QemuQuiet(vertx, max).await(dir), 30);
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** A VM dir as QemuVm.launch leaves it ({@code vm.json}), its "qemu" being {@code p}. */
    private Path vm(String id, Process p) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(id));
        Files.writeString(dir.resolve("vm.json"), new JsonObject().put("port", 1).put("pid", p.pid()).encode());
        return dir;
    }
}
