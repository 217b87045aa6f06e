-- V3: credentials in custody after a ready login, where they are installed, and what was done with them.
-- Flyway rule: once merged, never edit this file; change the schema in a new V<n>__*.sql.
-- No column ever holds a token in clear: the files are AES-256-GCM ciphertext under a per-record data key, and
-- that key is stored wrapped by a master key that lives outside the database (key_id names it).

CREATE TABLE credentials (
    user_id            text        NOT NULL,
    provider           text        NOT NULL,
    -- 1 for the first capture; +1 for every later one (a new login, or files pulled back from a workspace).
    version            bigint      NOT NULL,
    state              text        NOT NULL,
    -- Non-secret identity read at login (email, plan).
    account_email      text,
    account_plan       text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    -- When the access token expires without a refresh, where the files say so.
    expires_at         timestamptz,
    source_session_id  uuid,
    -- The one workspace holding a copy (state 'installed'): at most one live installation per refresh token.
    workspace_id       text,
    installed_at       timestamptz,
    -- The envelope. Null once revoked.
    key_id             text,
    wrapped_key        bytea,
    nonce              bytea,
    ciphertext         bytea,

    PRIMARY KEY (user_id, provider),
    CONSTRAINT credentials_state_check CHECK (state IN ('held', 'installed', 'revoked')),
    CONSTRAINT credentials_installed_check CHECK ((state = 'installed') = (workspace_id IS NOT NULL)),
    CONSTRAINT credentials_envelope_check CHECK (
        (state = 'revoked') = (ciphertext IS NULL) AND (ciphertext IS NULL) = (wrapped_key IS NULL)),
    CONSTRAINT credentials_version_check CHECK (version >= 1)
);

COMMENT ON TABLE credentials IS 'Current credentials per user and provider, envelope-encrypted (LoginRelay custody).';

-- What happened to each user's credentials: captured, installed, removed, exported, revoked... Metadata only.
CREATE TABLE credential_events (
    id           bigserial   PRIMARY KEY,
    user_id      text        NOT NULL,
    provider     text        NOT NULL,
    version      bigint,
    at           timestamptz NOT NULL DEFAULT now(),
    kind         text        NOT NULL,
    workspace_id text,
    session_id   uuid,
    detail       jsonb       NOT NULL DEFAULT '{}',
    CONSTRAINT credential_events_detail_check CHECK (jsonb_typeof(detail) = 'object')
);
CREATE INDEX credential_events_owner_idx ON credential_events (user_id, provider, id);

-- The workspace a session's login is for ("workspace" in the create request): installed there once ready.
CREATE TABLE session_workspaces (
    session_id   uuid PRIMARY KEY REFERENCES auth_sessions (session_id) ON DELETE CASCADE,
    workspace_id text NOT NULL
);

-- For operators: who, which account, where installed, since when. No envelope columns.
CREATE VIEW credential_custody AS
SELECT user_id,
       provider,
       version,
       state,
       account_email,
       account_plan,
       workspace_id,
       installed_at,
       created_at,
       updated_at,
       expires_at,
       source_session_id,
       key_id
FROM credentials
ORDER BY updated_at DESC;
