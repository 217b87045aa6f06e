package dev.loginrelay.controller.model;

import static dev.loginrelay.controller.model.SessionState.AWAITING_USER;
import static dev.loginrelay.controller.model.SessionState.CANCELLED;
import static dev.loginrelay.controller.model.SessionState.FAILED;
import static dev.loginrelay.controller.model.SessionState.PENDING;
import static dev.loginrelay.controller.model.SessionState.READY;
import static dev.loginrelay.controller.model.SessionState.STARTING;
import static dev.loginrelay.controller.model.SessionState.TIMEOUT;
import static dev.loginrelay.controller.model.SessionState.VERIFYING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class SessionStateTest {
    /** The lifecycle, written out by hand: every edge not listed here must be refused. */
    static final Map<SessionState, Set<SessionState>> LEGAL = Map.of(
        PENDING, EnumSet.of(STARTING, FAILED, TIMEOUT, CANCELLED),
        STARTING, EnumSet.of(AWAITING_USER, FAILED, TIMEOUT, CANCELLED),
        AWAITING_USER, EnumSet.of(VERIFYING, FAILED, TIMEOUT, CANCELLED),
        VERIFYING, EnumSet.of(READY, AWAITING_USER, FAILED, TIMEOUT, CANCELLED),
        READY, EnumSet.noneOf(SessionState.class),
        FAILED, EnumSet.noneOf(SessionState.class),
        TIMEOUT, EnumSet.noneOf(SessionState.class),
        CANCELLED, EnumSet.noneOf(SessionState.class));

    /** All 64 ordered pairs with the expected answer. */
    static Stream<Arguments> everyPair() {
        return Arrays.stream(SessionState.values()).flatMap(from -> Arrays.stream(SessionState.values())
            .map(to -> Arguments.of(from, to, LEGAL.get(from).contains(to))));
    }

    @ParameterizedTest(name = "{0} -> {1} legal={2}")
    @MethodSource("everyPair")
    void allowsExactlyTheLifecycleEdges(SessionState from, SessionState to, boolean legal) {
        assertThat(from.canMoveTo(to)).as("%s -> %s", from, to).isEqualTo(legal);
    }

    @Test
    void tableCoversEveryState() {
        assertThat(LEGAL).containsOnlyKeys(SessionState.values());
        assertThat(everyPair()).hasSize(64);
    }

    @Test
    void terminalStatesAreReadyFailedTimeoutAndCancelled() {
        assertThat(Arrays.stream(SessionState.values()).filter(SessionState::isTerminal))
            .containsExactly(READY, FAILED, TIMEOUT, CANCELLED);
        assertThat(SessionState.active()).containsExactly(PENDING, STARTING, AWAITING_USER, VERIFYING);
    }

    @ParameterizedTest
    @EnumSource(SessionState.class)
    void terminalStatesHaveNoWayOut(SessionState state) {
        boolean anyMove = Arrays.stream(SessionState.values()).anyMatch(state::canMoveTo);
        assertThat(anyMove).as("%s can move", state).isEqualTo(!state.isTerminal());
    }

    @ParameterizedTest
    @EnumSource(SessionState.class)
    void wireNameIsLowerCaseAndRoundTrips(SessionState state) {
        assertThat(state.wireName()).isEqualTo(state.name().toLowerCase(java.util.Locale.ROOT));
        assertThat(SessionState.fromWire(state.wireName())).isSameAs(state);
    }

    @Test
    void awaitingUserWireNameHasAnUnderscore() {
        assertThat(AWAITING_USER.wireName()).isEqualTo("awaiting_user");
    }

    @Test
    void fromWireRejectsUnknownValueAndNamesIt() {
        assertThatThrownBy(() -> SessionState.fromWire("succeeded"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("'succeeded'");
        assertThatThrownBy(() -> SessionState.fromWire("READY")).hasMessageContaining("'READY'");
        assertThatThrownBy(() -> SessionState.fromWire(null)).hasMessageContaining("'null'");
    }

    @Test
    void canMoveToRejectsNull() {
        assertThatThrownBy(() -> PENDING.canMoveTo(null)).isInstanceOf(NullPointerException.class);
    }
}
