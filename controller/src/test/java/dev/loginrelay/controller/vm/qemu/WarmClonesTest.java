package dev.loginrelay.controller.vm.qemu;

import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.support.Secret;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The qemu pool's VMs made ahead: one make at a time up to the target, oldest handed out first, dead ones dropped. */
class WarmClonesTest {
    /** Each make the pool asked for, completed by the test. */
    private final List<Promise<AgentHandle>> makes = new ArrayList<>();
    private final Set<String> dead = new HashSet<>();
    private final List<String> dropped = new ArrayList<>();
    /** Completed by the test to let the refill after a hand-out start; null = at once. */
    private Promise<Void> settled;

    private WarmClones clones(int target) {
        return new WarmClones(target, () -> {
            Promise<AgentHandle> p = Promise.promise();
            makes.add(p);
            return p.future();
        }, h -> dead.contains(h.agentId()) ? Future.failedFuture("connection refused")
            : Future.succeededFuture(), h -> dropped.add(h.agentId()),
            h -> settled == null ? Future.succeededFuture() : settled.future());
    }

    private void finish(int make, String vmId) {
        makes.get(make).complete(new AgentHandle(vmId, "http://127.0.0.1:1", Secret.of("t-" + vmId), vmId,
            "127.0.0.1"));
    }

    private static Optional<AgentHandle> taken(WarmClones w) {
        Future<Optional<AgentHandle>> f = w.take();
        assertThat(f.succeeded()).as("take answers at once with these fakes").isTrue();
        return f.result();
    }

    @Test
    void makesOneAtATimeUpToTheTarget() {
        WarmClones w = clones(2);
        w.fill();
        w.fill();
        assertThat(makes).as("a second make waits for the first").hasSize(1);
        assertThat(w.starting()).isEqualTo(1);
        finish(0, "qemu-aaaa");
        assertThat(makes).as("the next starts once the first is ready").hasSize(2);
        assertThat(w.idle()).isEqualTo(1);
        finish(1, "qemu-bbbb");
        w.fill();
        assertThat(makes).hasSize(2);
        assertThat(w.idle()).isEqualTo(2);
        assertThat(w.starting()).isZero();
    }

    @Test
    void handsOutTheOldestAndRefills() {
        WarmClones w = clones(1);
        w.fill();
        finish(0, "qemu-aaaa");
        assertThat(taken(w)).map(AgentHandle::agentId).contains("qemu-aaaa");
        assertThat(w.idle()).isZero();
        assertThat(makes).as("the refill started").hasSize(2);
        assertThat(w.inFlight()).isPresent();
        assertThat(taken(w)).as("nothing idle while the refill runs").isEmpty();
        finish(1, "qemu-bbbb");
        assertThat(w.inFlight()).isEmpty();
        assertThat(taken(w)).map(AgentHandle::agentId).contains("qemu-bbbb");
    }

    @Test
    void theRefillWaitsForTheVmHandedOutToSettleUnlessAClickFindsNoneIdle() {
        WarmClones w = clones(1);
        w.fill();
        finish(0, "qemu-aaaa");
        settled = Promise.promise();
        assertThat(taken(w)).map(AgentHandle::agentId).contains("qemu-aaaa");
        assertThat(makes).as("no refill while the VM handed out is busy").hasSize(1);
        assertThat(w.starting()).isZero();
        settled.complete();
        assertThat(makes).as("the refill once it settled").hasSize(2);

        finish(1, "qemu-bbbb");
        settled = Promise.promise();
        assertThat(taken(w)).isPresent();
        assertThat(makes).hasSize(2);
        assertThat(taken(w)).as("a second click finds none idle").isEmpty();
        assertThat(makes).as("and starts one at once").hasSize(3);
        settled.complete();
        assertThat(makes).as("one make at a time").hasSize(3);
    }

    @Test
    void dropsAWarmVmThatNoLongerAnswersAndTakesTheNext() {
        WarmClones w = clones(2);
        w.fill();
        finish(0, "qemu-aaaa");
        finish(1, "qemu-bbbb");
        dead.add("qemu-aaaa");
        assertThat(taken(w)).map(AgentHandle::agentId).contains("qemu-bbbb");
        assertThat(dropped).containsExactly("qemu-aaaa");
    }

    @Test
    void aFailedMakeIsNotRetriedUntilTheNextHandOut() {
        WarmClones w = clones(1);
        w.fill();
        makes.get(0).fail("qemu exited");
        assertThat(makes).hasSize(1);
        assertThat(w.starting()).isZero();
        assertThat(taken(w)).isEmpty();
        assertThat(makes).as("a hand-out asks for a refill").hasSize(2);
    }

    @Test
    void afterStopNothingIsMadeAndAVmStillBeingMadeIsDropped() {
        WarmClones w = clones(2);
        w.fill();
        finish(0, "qemu-aaaa");
        assertThat(w.stop()).extracting(AgentHandle::agentId).containsExactly("qemu-aaaa");
        assertThat(w.idle()).isZero();
        finish(1, "qemu-bbbb");
        assertThat(dropped).containsExactly("qemu-bbbb");
        w.fill();
        assertThat(taken(w)).isEmpty();
        assertThat(makes).hasSize(2);
    }

    @Test
    void aTargetOfZeroMakesNothing() {
        WarmClones w = clones(0);
        w.fill();
        assertThat(taken(w)).isEmpty();
        assertThat(makes).isEmpty();
        assertThat(w.inFlight()).isEmpty();
    }
}
