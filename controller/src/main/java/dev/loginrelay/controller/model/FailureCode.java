package dev.loginrelay.controller.model;

/**
 * The codes the controller itself gives a session that ended other than {@code ready} ({@code auth_sessions.error_code}).
 * Codes an agent reports (the CLI's own failures, e.g. {@code ACCESS_DENIED}) pass through as the agent named them.
 */
public enum FailureCode {
    /** The session's agent stopped answering, or was gone when the controller restarted. */
    AGENT_LOST,
    /** No agent could be found or started for the session, or the agent refused to start the run. */
    DISPATCH_FAILED,
    /** The session's deadline passed before it was ready (the timeout sweeper; the column default of its SQL). */
    DEADLINE_EXCEEDED,
    /** A phase deadline on the agent passed (the agent's {@code timeout} state). */
    TIMEOUT,
    /** Ended by the user, the product's backend or an operator, or on the agent through its API. */
    CANCELLED,
    /** The agent's run failed without naming a code. */
    FAILED
}
