-- V2: read-only views for operators, and NOTIFY on every session change (cross-replica SSE fan-out).
-- Flyway rule: once merged, never edit this file. To change a view, CREATE OR REPLACE it in a new V<n>__*.sql.
-- The views leave out auth_url and user_code on purpose: the URL carries the OAuth state.

-- Sessions created in the last 24 hours, newest first.
CREATE VIEW recent_sessions AS
SELECT session_id,
       owner,
       provider,
       status,
       expects,
       agent_id,
       browser_vm_id,
       vm_ip,
       error_code,
       created_at,
       updated_at,
       deadline_at,
       finished_at,
       coalesce(finished_at, now()) - created_at AS age
FROM auth_sessions
WHERE created_at > now() - interval '24 hours'
ORDER BY created_at DESC;

-- Open sessions that have not moved for 2 minutes, or whose deadline has passed (the sweeper should have
-- timed them out: if rows stay here, no controller replica is sweeping). awaiting_user rows waiting for a slow
-- user show up as 'idle' before their deadline; that alone is not a fault.
CREATE VIEW stuck_sessions AS
SELECT session_id,
       owner,
       provider,
       status,
       agent_id,
       browser_vm_id,
       vm_ip,
       created_at,
       updated_at,
       deadline_at,
       now() - updated_at AS idle_for,
       CASE WHEN deadline_at < now() THEN 'past_deadline' ELSE 'idle' END AS reason
FROM auth_sessions
WHERE status IN ('pending', 'starting', 'awaiting_user', 'verifying')
  AND (updated_at < now() - interval '2 minutes' OR deadline_at < now())
ORDER BY updated_at;

-- Why sessions failed or timed out in the last 7 days, per provider.
CREATE VIEW failure_reasons AS
SELECT provider,
       status,
       coalesce(error_code, 'UNKNOWN') AS error_code,
       count(*)                        AS sessions,
       max(finished_at)                AS last_seen
FROM auth_sessions
WHERE status IN ('failed', 'timeout')
  AND finished_at > now() - interval '7 days'
GROUP BY provider, status, coalesce(error_code, 'UNKNOWN')
ORDER BY sessions DESC, provider, error_code;

-- NOTIFY auth_session_changed, payload = session id. Every change appends an event, and a status change also
-- fires on the row; PostgreSQL folds identical notifications of one transaction into one, and delivers them
-- only on commit, so listeners see each committed change once.
CREATE FUNCTION auth_session_notify() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_notify('auth_session_changed', NEW.session_id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER auth_sessions_status_notify
    AFTER INSERT OR UPDATE OF status ON auth_sessions
    FOR EACH ROW EXECUTE FUNCTION auth_session_notify();

CREATE TRIGGER auth_session_events_notify
    AFTER INSERT ON auth_session_events
    FOR EACH ROW EXECUTE FUNCTION auth_session_notify();
