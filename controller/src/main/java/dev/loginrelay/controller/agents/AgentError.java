package dev.loginrelay.controller.agents;

import java.util.Optional;

/**
 * What an agent answered when it refused a call: attached as the cause of the {@link
 * dev.loginrelay.controller.error.ApiException} {@link AgentClient} fails with, so services can tell the agent's own
 * codes apart ({@code CALLBACK_ALREADY_RELAYED} vs {@code ILLEGAL_STATE}, both 409) without parsing messages.
 * No stack trace: it is a value, not a bug.
 */
public final class AgentError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String agentId;
    private final int httpStatus;
    private final String agentCode;

    AgentError(String agentId, int httpStatus, String agentCode, String agentMessage) {
        super(agentMessage, null, false, false);
        this.agentId = agentId;
        this.httpStatus = httpStatus;
        this.agentCode = agentCode;
    }

    /** The first {@code AgentError} in the cause chain of {@code t}. */
    public static Optional<AgentError> in(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof AgentError e) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    public String agentId() {
        return agentId;
    }

    /** The HTTP status the agent answered. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The agent's {@code error.code}, e.g. {@code STATE_MISMATCH}; {@code HTTP_<status>} when it sent none. */
    public String agentCode() {
        return agentCode;
    }

    @Override
    public String toString() {
        return "AgentError[" + agentId + " " + httpStatus + " " + agentCode + "]: " + getMessage();
    }
}
