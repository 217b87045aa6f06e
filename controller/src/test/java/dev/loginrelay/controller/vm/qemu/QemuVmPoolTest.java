package dev.loginrelay.controller.vm.qemu;

import dev.loginrelay.controller.testing.Futures;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the qemu pool does without starting a VM: after a restart it destroys the VMs no live session owns (a warm
 * one a killed controller left), leaving the owned ones and the golden snapshots alone. {@code QemuProviderIT}
 * restores real clones, warm ones included.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@org.junit.jupiter.api.extension.ExtendWith(io.vertx.junit5.VertxExtension.class)
class QemuVmPoolTest {
    @TempDir
    Path tmp;
    Vertx vertx;

    @BeforeEach
    void vertx(Vertx v) {
        vertx = v; // VertxExtension closes it after each test
    }

    @Test
    void reapsTheVmsNoLiveSessionOwnsAndNothingElse() throws Exception {
        Path work = Files.createDirectories(tmp.resolve("vms"));
        Process orphan = fakeQemu(work.resolve("qemu-aaaa1111"));
        Process owned = fakeQemu(work.resolve("qemu-bbbb2222"));
        Path golden = Files.createDirectories(work.resolve("golden").resolve("0123456789abcdef"));
        Files.writeString(golden.resolve("state.bin"), "state");
        Path other = Files.createDirectories(work.resolve("notes"));
        try (QemuVmPool pool = new QemuVmPool(vertx, config(work))) {
            int reaped = Futures.await(pool.reapExcept(Set.of("qemu-bbbb2222")), 30);

            assertThat(reaped).isEqualTo(1);
            assertThat(orphan.waitFor(10, TimeUnit.SECONDS)).as("the orphan's qemu is stopped").isTrue();
            assertThat(work.resolve("qemu-aaaa1111")).doesNotExist();
            assertThat(owned.isAlive()).as("the owned VM keeps running").isTrue();
            assertThat(work.resolve("qemu-bbbb2222")).isDirectory();
            assertThat(golden.resolve("state.bin")).as("the golden snapshot is no VM").hasContent("state");
            assertThat(other).isDirectory();
            assertThat(pool.capacity()).isEqualTo(Map.of("idle", 0, "busy", 0, "starting", 0));
        } finally {
            orphan.destroyForcibly();
            owned.destroyForcibly();
        }
    }

    @Test
    void aClosedPoolHandsOutNothing() throws Exception {
        QemuVmPool pool = new QemuVmPool(vertx, config(Files.createDirectories(tmp.resolve("vms"))));
        pool.close();
        assertThat(pool.acquire(java.util.UUID.randomUUID()).failed()).isTrue();
    }

    /** A VM dir whose qemu.pid is a process named like qemu (a copy of sleep), as QemuVm.kill checks the name. */
    private Process fakeQemu(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path bin = tmp.resolve("qemu-system-x86_64");
        if (!Files.exists(bin)) {
            Files.copy(Path.of("/bin/sleep"), bin, StandardCopyOption.COPY_ATTRIBUTES);
        }
        Process p = new ProcessBuilder(bin.toString(), "300").start();
        Files.writeString(dir.resolve("qemu.pid"), Long.toString(p.pid()));
        Files.writeString(dir.resolve("disk.qcow2"), "overlay");
        return p;
    }

    private QemuPoolConfig config(Path work) throws IOException {
        Path image = Files.createDirectories(tmp.resolve("image"));
        return new QemuPoolConfig(image, work, true, null, QemuEgress.parse("none"), "tcg", 512, 1,
            Duration.ofSeconds(30), Path.of("/nonexistent/qemu"), Path.of("/nonexistent/qemu-img"), 1);
    }
}
