package dev.loginrelay.controller.vm.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.support.Secret;
import org.junit.jupiter.api.Test;

class WarmAgentsTest {
    private static AgentHandle agent(String id) {
        return new AgentHandle(id, "http://127.0.0.1:1", Secret.of("t"), id, "127.0.0.1");
    }

    @Test
    void sharesAnAgentUpToItsCapacityAndAsksForOneMoreAhead() {
        WarmAgents w = new WarmAgents(2, 1);
        assertThat(w.take()).isEmpty();
        assertThat(w.startIfNeeded()).as("none with room: start one ahead").isTrue();
        assertThat(w.startIfNeeded()).as("one start in flight is enough").isFalse();
        w.startEnded();
        w.add(agent("a"), 0);
        assertThat(w.take()).map(AgentHandle::agentId).contains("a");
        assertThat(w.startIfNeeded()).as("a still has room").isFalse();
        assertThat(w.take()).map(AgentHandle::agentId).contains("a");
        assertThat(w.take()).as("a is full").isEmpty();
        assertThat(w.startIfNeeded()).isTrue();
        assertThat(w.counts()).containsEntry("sessions", 2).containsEntry("busy", 1).containsEntry("starting", 1);
    }

    @Test
    void keepsTheWarmAgentsAndStopsTheIdleOnesBeyond() {
        WarmAgents w = new WarmAgents(1, 1);
        w.add(agent("a"), 1);
        w.add(agent("b"), 1);
        assertThat(w.giveBack("a")).as("a is the one idle agent kept warm").isFalse();
        assertThat(w.giveBack("b")).as("a second idle agent stops").isTrue();
        assertThat(w.ids()).containsExactly("a");
        assertThat(w.take()).map(AgentHandle::agentId).contains("a");
        assertThat(w.giveBack("unknown")).as("an agent this pool does not know is stopped").isTrue();
    }

    @Test
    void withNoWarmAgentEachAgentStopsWhenItsSessionEnds() {
        WarmAgents w = new WarmAgents(1, 0);
        assertThat(w.startIfNeeded()).isFalse();
        w.add(agent("a"), 1);
        assertThat(w.giveBack("a")).isTrue();
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new WarmAgents(0, 1)).hasMessageContaining("sessions per agent");
        assertThatThrownBy(() -> new WarmAgents(1, -1)).hasMessageContaining("idle agents");
    }
}
