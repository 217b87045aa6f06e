package dev.loginrelay.controller.vm.qemu;

import dev.loginrelay.controller.agents.AgentHandle;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The VMs made ahead of the clicks: up to {@code target} idle ones, fully prepared (restored, reseeded and re-keyed
 * to their own token), made one at a time in the background (two restores side by side are slower than one after
 * the other on a small host) and handed out oldest first. A VM that no longer answers {@code check} when a click
 * comes is dropped and the next one taken. The refill after a hand-out waits for {@code settle} (the VM handed out
 * no longer needs the host's CPU to itself); a click that finds no VM idle starts one at once. After a failed make
 * nothing is retried until the next hand-out asks for a refill, so a broken image does not restore in a loop.
 * Thread-safe.
 */
final class WarmClones {
    private static final Logger log = LoggerFactory.getLogger(WarmClones.class);

    private final int target;
    private final Supplier<Future<AgentHandle>> make;
    private final Function<AgentHandle, Future<?>> check;
    private final Consumer<AgentHandle> drop;
    private final Function<AgentHandle, Future<?>> settle;
    private final Deque<AgentHandle> idle = new ArrayDeque<>();
    /** The make in flight, if any. */
    private Future<AgentHandle> making;
    private boolean stopped;

    /**
     * @param make  makes one VM ready for a session (it fails when the pool stops meanwhile)
     * @param check succeeds when an idle VM still answers
     * @param drop   destroys a VM that is no longer wanted (dead, or made after {@link #stop}); must not block
     * @param settle completes when a VM just handed out leaves the host's CPU to a refill
     */
    WarmClones(int target, Supplier<Future<AgentHandle>> make, Function<AgentHandle, Future<?>> check,
               Consumer<AgentHandle> drop, Function<AgentHandle, Future<?>> settle) {
        if (target < 0) {
            throw new IllegalArgumentException("warm VMs cannot be less than 0, not " + target);
        }
        this.target = target;
        this.make = make;
        this.check = check;
        this.drop = drop;
        this.settle = settle;
    }

    /** Starts making one VM when fewer than {@code target} are idle or being made, and none is being made. */
    void fill() {
        Future<AgentHandle> started;
        synchronized (this) {
            if (stopped || making != null || idle.size() >= target) {
                return;
            }
            started = make.get();
            making = started;
        }
        started.onComplete(ar -> {
            boolean keep;
            synchronized (this) {
                making = null;
                keep = ar.succeeded() && !stopped;
                if (keep) {
                    idle.addLast(ar.result());
                }
            }
            if (ar.failed()) {
                log.warn("could not make a warm VM: {}", ar.cause().getMessage());
            } else if (keep) {
                log.info("vm={} warm: ready for the next session", ar.result().agentId());
                fill();
            } else {
                drop.accept(ar.result()); // made while stopping: nobody will take it
            }
        });
    }

    /**
     * The oldest idle VM that still answers, if any (those that do not are dropped, and then a refill starts at
     * once); a VM taken is {@link #handedOut}.
     */
    Future<Optional<AgentHandle>> take() {
        AgentHandle h;
        synchronized (this) {
            h = idle.pollFirst();
        }
        if (h == null) {
            fill();
            return Future.succeededFuture(Optional.empty());
        }
        return check.apply(h).<Optional<AgentHandle>>map(ok -> {
            handedOut(h);
            return Optional.of(h);
        }).recover(e -> {
            log.warn("vm={} stopped answering while warm ({}); dropping it", h.agentId(), e.getMessage());
            drop.accept(h);
            return take();
        });
    }

    /** A VM went to a session (taken here, or made for it): the refill starts once it {@code settle}s. */
    void handedOut(AgentHandle h) {
        if (target > 0) {
            settle.apply(h).onComplete(ar -> fill());
        }
    }

    /** The make in flight, if any: a click that finds no idle VM waits for it rather than racing it. */
    synchronized Optional<Future<AgentHandle>> inFlight() {
        return Optional.ofNullable(making);
    }

    /** Makes no more; answers the idle VMs, now forgotten, for the caller to destroy. */
    synchronized List<AgentHandle> stop() {
        stopped = true;
        List<AgentHandle> all = List.copyOf(idle);
        idle.clear();
        return all;
    }

    synchronized int idle() {
        return idle.size();
    }

    synchronized int starting() {
        return making == null ? 0 : 1;
    }

}
