package dev.loginrelay.agent.run;

/**
 * The failure codes the agent gives a run itself (besides those a provider spec names for the CLI's own error
 * texts). They reach the controller as the run's {@code error.code} and the user's page as plain words.
 */
public enum RunFailure {
    /** The host-wide lock could not be taken. */
    LOCK_FAILED,
    /** The CLI could not be started under the PTY. */
    CLI_START_FAILED,
    /** The CLI printed an auth URL the agent cannot relay (no loopback redirect). */
    AUTH_URL_UNUSABLE,
    /** The CLI's terminal or loopback listener did not take what the agent handed it. */
    CLI_UNREACHABLE,
    /** The CLI ended before the login was finished. */
    CLI_EXITED,
    /** The CLI wrote no credential file. */
    CREDENTIALS_MISSING,
    /** A credential file is older than this login. */
    CREDENTIALS_STALE,
    /** A credential file cannot be read. */
    CREDENTIALS_UNREADABLE,
    /** The spec's verify command did not prove the credentials. */
    VERIFY_FAILED,
    /** A phase deadline passed. */
    TIMEOUT
}
