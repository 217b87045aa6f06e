package dev.loginrelay.agent.run;

import java.util.Locale;

/**
 * What a run's timeline event says happened; its wire name (lower case) is the {@code kind} of the agent's events API.
 * The controller keeps a typed copy of these names, and a contract test holds the two to one list.
 */
public enum EventKind {
    /** The run was accepted; detail: provider, relay. */
    STARTED,
    /** Waiting for a host-wide lock another login holds. */
    QUEUED,
    /** The lock was taken; the CLI starts now. */
    DEQUEUED,
    /** The CLI process runs under the PTY; detail: its command line. */
    CLI_STARTED,
    /** An auth URL for the user; detail: authUrl, expects, retry. */
    AUTH_URL_READY,
    /** A device code for the user; detail: verificationUrl, userCode. */
    DEVICE_CODE_READY,
    /** The CLI waits for the user's input; detail: expects. */
    AWAITING_INPUT,
    /**
     * A session took this login, which the agent had started ahead of any request (its link was already out); the
     * events before this one happened before the session asked. Detail: startedAheadMs (how long it had waited).
     */
    ADOPTED,
    /** The agent answered one of the CLI's prompts (spec {@code prompts}); detail: the prompt's name. */
    PROMPT_ANSWERED,
    /** The CLI printed its success text; not trusted until the credentials verify. */
    CLI_REPORTED_SUCCESS,
    /** One attempt failed but the CLI asks again (a wrong code); detail: code, message. */
    ATTEMPT_FAILED,
    /** The CLI process ended; detail: exitCode. */
    CLI_EXITED,
    /** Checking the credentials the CLI wrote. */
    VERIFYING,
    /** The credentials are not there yet; checking again. */
    VERIFY_PENDING,
    /** The user's callback URL was taken for relaying; detail: path. */
    CALLBACK_RECEIVED,
    /** The callback reached the CLI's listener; detail: cliStatus, followed. */
    CALLBACK_RELAYED,
    /** The user's code was typed into the CLI; detail: length. */
    CODE_SUBMITTED,
    /** A callback URL the agent refused before it reached the CLI; detail: reason (the API error code), message. */
    CALLBACK_REFUSED,
    /** A code the agent refused before it reached the CLI; detail: reason (the API error code), message. */
    CODE_REFUSED,
    /**
     * The CLI's listener answered the relayed callback with an error and still listens: the user may try again;
     * detail: reason, cliStatus, message (the CLI's words).
     */
    CALLBACK_REJECTED,
    /** Terminal: credentials written by this login and verified; detail: account. */
    READY,
    /** Terminal: detail: code, message. */
    FAILED,
    /** Terminal: a phase deadline passed; detail: phase, afterSeconds, waitingFor. */
    TIMEOUT,
    /** Terminal: cancelled through the API; detail: reason. */
    CANCELLED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
