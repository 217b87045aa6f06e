package dev.loginrelay.controller.vm.qemu;

import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentError;
import dev.loginrelay.controller.agents.AgentHandle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Waits for a VM's agent: {@code /health} while the VM boots or restores, then an authenticated call with the VM's
 * own token. Shared by {@link QemuVmPool} and {@link QemuTool}, so both call a VM ready on the same evidence.
 */
final class QemuAgentReady {
    private static final long POLL_MS = 500;
    private static final long REKEY_POLL_MS = 200;
    private static final long REKEY_NANOS = Duration.ofSeconds(30).toNanos();

    private final Vertx vertx;
    private final AgentClient client;

    QemuAgentReady(Vertx vertx, AgentClient client) {
        this.vertx = vertx;
        this.client = client;
    }

    /**
     * Polls {@code /health} until it answers; fails at once when the VM's qemu (in {@code dir}) exited, or at
     * {@code deadline} ({@code timeout} is what the message names).
     */
    Future<AgentHandle> health(AgentHandle h, Path dir, long deadline, Duration timeout) {
        return client.health(h).map(ok -> h).recover(e -> {
            if (QemuVm.load(dir).isEmpty()) {
                return Future.failedFuture("qemu exited before the agent answered /health");
            }
            if (System.nanoTime() > deadline) {
                return Future.failedFuture("the agent did not answer /health within " + timeout.toSeconds() + " s: "
                    + e.getMessage());
            }
            return vertx.timer(POLL_MS).compose(v -> health(h, dir, deadline, timeout));
        });
    }

    /**
     * An authenticated call with this VM's own token, proof that a restored clone was re-keyed: until its agent has
     * handled the SIGHUP it still holds the snapshot's token and answers 401, so a 401 is retried for up to 30 s
     * (never past {@code deadline}).
     */
    Future<AgentHandle> ownToken(AgentHandle h, long deadline) {
        return ownTokenUntil(h, Math.min(deadline, System.nanoTime() + REKEY_NANOS));
    }

    private Future<AgentHandle> ownTokenUntil(AgentHandle h, long deadline) {
        return client.providers(h).map(ok -> h).recover(e -> {
            boolean stale = e.getCause() instanceof AgentError a && a.httpStatus() == 401;
            if (!stale || System.nanoTime() > deadline) {
                return Future.failedFuture(e);
            }
            return vertx.timer(REKEY_POLL_MS).compose(v -> ownTokenUntil(h, deadline));
        });
    }
}
