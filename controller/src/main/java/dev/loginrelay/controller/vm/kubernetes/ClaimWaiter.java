package dev.loginrelay.controller.vm.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Waits for claims to be bound to a ready sandbox. One list of this replica's claims per period serves every waiting
 * session, so a thousand sessions waiting on a drained warm pool cost the API server one request per period, not a
 * thousand. Polls only while someone waits.
 */
final class ClaimWaiter {
    private static final Logger log = LoggerFactory.getLogger(ClaimWaiter.class);
    /** A claim not in the list this long after it was created was deleted (by an operator or its shutdownTime). */
    private static final long MISSING_NANOS = 5_000_000_000L;

    private final Vertx vertx;
    private final SandboxApi api;
    private final String replica;
    private final long periodMs;
    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();
    private final AtomicBoolean polling = new AtomicBoolean();

    private record Waiting(Promise<GenericKubernetesResource> promise, long since, long deadline) {
    }

    ClaimWaiter(Vertx vertx, SandboxApi api, String replica, long periodMs) {
        this.vertx = vertx;
        this.api = api;
        this.replica = replica;
        this.periodMs = periodMs;
    }

    /** The claim once it is ready with its sandbox named; fails when it is deleted or at {@code deadlineNanos}. */
    Future<GenericKubernetesResource> await(String claimName, long deadlineNanos) {
        Promise<GenericKubernetesResource> p = Promise.promise();
        waiting.put(claimName, new Waiting(p, System.nanoTime(), deadlineNanos));
        if (polling.compareAndSet(false, true)) {
            vertx.setTimer(1, t -> poll());
        }
        return p.future();
    }

    /** Sessions waiting for a sandbox now. */
    int size() {
        return waiting.size();
    }

    private void poll() {
        vertx.executeBlocking(() -> api.claimsOf(replica), false).onComplete(ar -> {
            if (ar.failed()) {
                log.warn("cannot list the claims of replica {} ({} waiting): {}", replica, waiting.size(),
                    ar.cause().getMessage());
            }
            Map<String, GenericKubernetesResource> byName = new HashMap<>();
            if (ar.succeeded()) {
                ar.result().forEach(c -> byName.put(c.getMetadata().getName(), c));
            }
            long now = System.nanoTime();
            waiting.forEach((name, w) -> settle(name, w, byName.get(name), ar.succeeded(), now));
            polling.set(false);
            if (!waiting.isEmpty() && polling.compareAndSet(false, true)) {
                vertx.setTimer(periodMs, t -> poll());
            }
        });
    }

    private void settle(String name, Waiting w, GenericKubernetesResource claim, boolean listed, long now) {
        if (claim != null && SandboxApi.ready(claim) && SandboxApi.sandboxName(claim).isPresent()
            && !SandboxApi.deleting(claim)) {
            waiting.remove(name, w);
            w.promise().tryComplete(claim);
        } else if (listed && (claim == null || SandboxApi.deleting(claim)) && now - w.since() > MISSING_NANOS) {
            waiting.remove(name, w);
            w.promise().tryFail("claim " + name + " was deleted before it got a sandbox");
        } else if (now > w.deadline()) {
            waiting.remove(name, w);
            w.promise().tryFail("claim " + name + " got no ready sandbox in time ("
                + (claim == null ? "not listed" : SandboxApi.whyNotReady(claim)) + ")");
        }
    }
}
