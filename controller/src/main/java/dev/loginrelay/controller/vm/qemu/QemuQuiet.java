package dev.loginrelay.controller.vm.qemu;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Waits until a VM just handed out no longer needs the host's CPU to itself: its qemu used less than a quarter of one
 * CPU over a second (the CLI in it started and waits for the user), or {@code max} passed, or its qemu is gone. The
 * pool refills its warm VMs after that: under software emulation a restore beside the CLI's start slowed the start,
 * so the user saw the link later than with no warm VM at all (10.0 s instead of 8.7 s, both on 2 cores).
 */
final class QemuQuiet {
    private static final long PERIOD_MS = 1000;
    /** clock ticks are 1/100 s on Linux ({@code USER_HZ}): 25 ticks in one second is a quarter of one CPU. */
    private static final long QUIET_TICKS = 25;

    private final Vertx vertx;
    private final Duration max;

    QemuQuiet(Vertx vertx, Duration max) {
        this.vertx = vertx;
        this.max = max;
    }

    /** Completes (never fails) once the VM in {@code dir} is quiet, gone, or {@code max} passed. */
    Future<Void> await(Path dir) {
        long deadline = System.nanoTime() + max.toNanos();
        return vertx.executeBlocking(() -> QemuVm.load(dir).map(QemuVm.Running::pid).orElse(-1L), false)
            .compose(pid -> pid < 0 ? Future.<Void>succeededFuture() : poll(pid, -1, deadline))
            .otherwise(e -> null);
    }

    private Future<Void> poll(long pid, long before, long deadline) {
        return vertx.executeBlocking(() -> cpuTicks(pid), false).compose(now -> {
            if (now < 0 || (before >= 0 && now - before < QUIET_TICKS) || System.nanoTime() > deadline) {
                return Future.succeededFuture();
            }
            return vertx.timer(PERIOD_MS).compose(v -> poll(pid, now, deadline));
        });
    }

    /** User plus system CPU time of the process (all its threads) in clock ticks, or -1 when it is gone. */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // pid (comm) state ppid ...: comm may hold spaces, so count fields after its closing parenthesis;
            // utime and stime are fields 14 and 15, i.e. the 12th and 13th after it
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
