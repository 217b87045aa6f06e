-- V4: which session holds which slot of a static agent, shared by every controller replica.
-- Flyway rule: once merged, never edit this file; change the schema in a new V<n>__*.sql.
-- Handing out a slot is a compare-and-set: INSERT ... ON CONFLICT DO NOTHING of a free slot number below the
-- agent's capacity; the primary key lets exactly one replica take each (agent, slot). Releasing deletes the row.

CREATE TABLE agent_slots (
    -- The agent's configured id (LOGINRELAY_STATIC_AGENTS), the same on every replica.
    agent_id   text        NOT NULL,
    -- 0 .. capacity-1; a session found again after a restart on a full agent may take one beyond.
    slot       integer     NOT NULL,
    -- A session holds at most one slot; the row goes with the session (retention).
    session_id uuid        NOT NULL REFERENCES auth_sessions (session_id) ON DELETE CASCADE,
    claimed_at timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT agent_slots_pkey PRIMARY KEY (agent_id, slot),
    CONSTRAINT agent_slots_session_key UNIQUE (session_id),
    CONSTRAINT agent_slots_slot_check CHECK (slot >= 0),
    CONSTRAINT agent_slots_agent_check CHECK (agent_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')
);

COMMENT ON TABLE agent_slots IS 'Sessions placed on static agents, one row per held slot (LoginRelay controller).';
