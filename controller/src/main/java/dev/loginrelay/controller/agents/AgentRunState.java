package dev.loginrelay.controller.agents;

import dev.loginrelay.controller.model.SessionState;

import java.util.Locale;

/**
 * The agent's run states as its API names them ({@code state} of runs and events), and the session state each one
 * is observed as. The agent's own enum has the same names; a contract test holds the two together.
 */
public enum AgentRunState {
    /** Waiting for a host-wide lock: the session is still {@code starting}. */
    QUEUED(SessionState.STARTING),
    STARTING(SessionState.STARTING),
    AWAITING_USER(SessionState.AWAITING_USER),
    VERIFYING(SessionState.VERIFYING),
    READY(SessionState.READY),
    FAILED(SessionState.FAILED),
    TIMEOUT(SessionState.TIMEOUT),
    CANCELLED(SessionState.CANCELLED);

    private final SessionState session;

    AgentRunState(SessionState session) {
        this.session = session;
    }

    /** The session state this run state is observed as. */
    public SessionState sessionState() {
        return session;
    }

    public boolean isTerminal() {
        return session.isTerminal();
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Fails naming the value when the agent sends a state this controller does not know. */
    public static AgentRunState fromWire(String wire) {
        for (AgentRunState s : values()) {
            if (s.wireName().equals(wire)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown agent run state '" + wire + "'");
    }
}
