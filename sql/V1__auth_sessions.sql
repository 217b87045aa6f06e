-- V1: the system of record for auth sessions and their append-only timeline.
-- Flyway rule: once merged, never edit this file; change the schema in a new V<n>__*.sql.
-- Needs PostgreSQL 13+ (gen_random_uuid() is in core since 13).

CREATE TABLE auth_sessions (
    session_id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    owner              text        NOT NULL,
    provider           text        NOT NULL,
    status             text        NOT NULL DEFAULT 'pending',
    -- What the user must do next. auth_url holds the OAuth state and the PKCE challenge: stored so the page can
    -- show it, never logged. user_code is the device-flow code shown to the user.
    expects            text        NOT NULL DEFAULT 'none',
    auth_url           text,
    verification_url   text,
    user_code          text,
    -- Where the login runs.
    agent_id           text,
    browser_vm_id      text,
    vm_ip              inet,
    -- Why it ended, and who it logged in (non-secret identity only: email, account id, plan).
    error_code         text,
    error_message      text,
    account            jsonb,
    -- SHA-256 of the session's bearer token; the token itself is never stored.
    session_token_hash bytea       NOT NULL,
    idempotency_key    text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deadline_at        timestamptz NOT NULL,
    finished_at        timestamptz,
    -- Bumped by every change of the row; clients may use it as an ETag.
    version            bigint      NOT NULL DEFAULT 0,
    -- Highest agent event seq stored for this session (agent events are idempotent by (session, agent seq)).
    last_agent_seq     bigint      NOT NULL DEFAULT 0,
    -- Seq of the newest timeline row; the next event takes event_seq + 1 in the same UPDATE, under the row lock.
    event_seq          bigint      NOT NULL DEFAULT 0,

    CONSTRAINT auth_sessions_status_check CHECK (status IN
        ('pending', 'starting', 'awaiting_user', 'verifying', 'ready', 'failed', 'timeout', 'cancelled')),
    CONSTRAINT auth_sessions_expects_check CHECK (expects IN ('callback_url', 'code', 'none')),
    CONSTRAINT auth_sessions_provider_check CHECK (provider ~ '^[a-z][a-z0-9_-]{0,31}$'),
    CONSTRAINT auth_sessions_owner_check CHECK (length(owner) BETWEEN 1 AND 200),
    CONSTRAINT auth_sessions_token_hash_check CHECK (length(session_token_hash) = 32),
    CONSTRAINT auth_sessions_idempotency_key_check CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    CONSTRAINT auth_sessions_error_code_check CHECK (length(error_code) BETWEEN 1 AND 64),
    CONSTRAINT auth_sessions_account_check CHECK (jsonb_typeof(account) = 'object'),
    -- finished_at is set exactly when the status is terminal.
    CONSTRAINT auth_sessions_finished_check CHECK (
        (status IN ('ready', 'failed', 'timeout', 'cancelled')) = (finished_at IS NOT NULL)),
    CONSTRAINT auth_sessions_counters_check CHECK (version >= 0 AND last_agent_seq >= 0 AND event_seq >= 0),
    CONSTRAINT auth_sessions_token_hash_key UNIQUE (session_token_hash),
    CONSTRAINT auth_sessions_idempotency_key UNIQUE (owner, idempotency_key)
);

COMMENT ON TABLE auth_sessions IS 'One login attempt of one user for one provider (LoginRelay controller).';
COMMENT ON COLUMN auth_sessions.auth_url IS 'Contains the OAuth state: show to the owner only, never log.';

-- One active (non-terminal) session per user and provider; a second insert fails with 23505.
CREATE UNIQUE INDEX auth_sessions_one_active_idx ON auth_sessions (owner, provider)
    WHERE status IN ('pending', 'starting', 'awaiting_user', 'verifying');

-- The timeout sweeper: open sessions by deadline. Partial, so finished rows (almost all of them) cost nothing.
CREATE INDEX auth_sessions_open_deadline_idx ON auth_sessions (deadline_at, status)
    WHERE status IN ('pending', 'starting', 'awaiting_user', 'verifying');

-- Operator queries: newest sessions of a provider, newest sessions overall.
CREATE INDEX auth_sessions_provider_created_idx ON auth_sessions (provider, created_at DESC);
CREATE INDEX auth_sessions_created_idx ON auth_sessions (created_at DESC);

CREATE TABLE auth_session_events (
    session_id  uuid        NOT NULL REFERENCES auth_sessions (session_id) ON DELETE CASCADE,
    seq         bigint      NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    kind        text        NOT NULL,
    from_status text,
    to_status   text,
    -- Set for events reported by the agent; the agent's own counter, so a re-sent report is stored once.
    agent_seq   bigint,
    -- Redacted by the writer: no OAuth codes, states, tokens or full URLs.
    detail      jsonb       NOT NULL DEFAULT '{}'::jsonb,

    CONSTRAINT auth_session_events_pkey PRIMARY KEY (session_id, seq),
    CONSTRAINT auth_session_events_agent_seq_key UNIQUE (session_id, agent_seq),
    CONSTRAINT auth_session_events_seq_check CHECK (seq > 0),
    CONSTRAINT auth_session_events_agent_seq_check CHECK (agent_seq > 0),
    CONSTRAINT auth_session_events_kind_check CHECK (kind ~ '^[a-z][a-z0-9_.]{0,63}$'),
    CONSTRAINT auth_session_events_from_check CHECK (from_status IN
        ('pending', 'starting', 'awaiting_user', 'verifying', 'ready', 'failed', 'timeout', 'cancelled')),
    CONSTRAINT auth_session_events_to_check CHECK (to_status IN
        ('pending', 'starting', 'awaiting_user', 'verifying', 'ready', 'failed', 'timeout', 'cancelled')),
    CONSTRAINT auth_session_events_detail_check CHECK (jsonb_typeof(detail) = 'object')
);

COMMENT ON TABLE auth_session_events IS 'Append-only timeline of an auth session; seq runs 1..n per session.';

-- Append-only: rows may be deleted with their session (retention) but never rewritten.
CREATE FUNCTION auth_session_events_immutable() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION 'auth_session_events is append-only (session %, seq %)', OLD.session_id, OLD.seq
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER auth_session_events_no_update
    BEFORE UPDATE ON auth_session_events
    FOR EACH ROW EXECUTE FUNCTION auth_session_events_immutable();
