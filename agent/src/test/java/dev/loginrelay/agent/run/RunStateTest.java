package dev.loginrelay.agent.run;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Set;
import java.util.stream.Stream;

import static dev.loginrelay.agent.run.RunState.AWAITING_USER;
import static dev.loginrelay.agent.run.RunState.CANCELLED;
import static dev.loginrelay.agent.run.RunState.FAILED;
import static dev.loginrelay.agent.run.RunState.QUEUED;
import static dev.loginrelay.agent.run.RunState.READY;
import static dev.loginrelay.agent.run.RunState.STARTING;
import static dev.loginrelay.agent.run.RunState.TIMEOUT;
import static dev.loginrelay.agent.run.RunState.VERIFYING;
import static org.assertj.core.api.Assertions.assertThat;

/** Every pair of states: exactly the declared edges are legal, and terminal states are final. */
class RunStateTest {
    private static final Set<String> LEGAL = Set.of(
        "STARTING>QUEUED", "QUEUED>STARTING", "STARTING>AWAITING_USER", "STARTING>VERIFYING",
        "AWAITING_USER>VERIFYING", "VERIFYING>AWAITING_USER", "VERIFYING>READY",
        "QUEUED>FAILED", "QUEUED>TIMEOUT", "QUEUED>CANCELLED",
        "STARTING>FAILED", "STARTING>TIMEOUT", "STARTING>CANCELLED",
        "AWAITING_USER>FAILED", "AWAITING_USER>TIMEOUT", "AWAITING_USER>CANCELLED",
        "VERIFYING>FAILED", "VERIFYING>TIMEOUT", "VERIFYING>CANCELLED");

    static Stream<Arguments> everyPair() {
        return Stream.of(RunState.values()).flatMap(a -> Stream.of(RunState.values()).map(b -> Arguments.of(a, b)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("everyPair")
    void allowsExactlyTheDeclaredMoves(RunState from, RunState to) {
        assertThat(from.canMoveTo(to)).isEqualTo(LEGAL.contains(from + ">" + to));
    }

    @ParameterizedTest
    @MethodSource("everyPair")
    void terminalStatesAreFinal(RunState from, RunState to) {
        if (Set.of(READY, FAILED, TIMEOUT, CANCELLED).contains(from)) {
            assertThat(from.isTerminal()).isTrue();
            assertThat(from.canMoveTo(to)).isFalse();
        } else {
            assertThat(from.isTerminal()).isFalse();
            assertThat(Set.of(QUEUED, STARTING, AWAITING_USER, VERIFYING)).contains(from);
        }
    }
}
