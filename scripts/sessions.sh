#!/usr/bin/env bash
# Operator view of LoginRelay auth sessions: recent sessions, one session's timeline, stuck sessions, failures.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/sessions.sh COMMAND [OPTIONS]

Read-only queries against the controller's PostgreSQL (see sql/README.md). Needs psql.

Commands:
  list [--provider P] [--status S] [--limit N]   newest sessions first (default limit 20, max 1000)
  timeline SESSION_ID                            one session's row and its event timeline, oldest first
  stuck                                          open sessions idle for 2+ minutes or past their deadline
  failures                                       failed/timed-out sessions of the last 7 days, by error code
  credentials [--user U]                         credentials in custody: who, which account, where installed,
                                                 when (metadata only; the files stay encrypted), and recent events
  sql|psql [PSQL ARGS...]                        an interactive psql on the controller's database (embedded
                                                 included); extra arguments go to psql (e.g. -c 'SELECT ...')

Connection (environment):
  LOGINRELAY_DATABASE_URL     the controller's JDBC URL (jdbc:postgresql://host:5432/db), a postgres:// URL or
                              libpq keywords ("host=... dbname=..."). Unset: the URL a controller with embedded
                              PostgreSQL wrote to $LOGINRELAY_DATA_DIR/database.url (default .loginrelay/controller)
  PGPASSWORD_FILE             file holding the password (never pass it on the command line). Unset with the
                              embedded database: the pgpass file (0600) the controller wrote to
                              $LOGINRELAY_DATA_DIR/pgpass, used through PGPASSFILE
  LOGINRELAY_DATABASE_SCHEMA  schema holding the tables, when it is not the first on the search_path

The OAuth auth URL and user code are never printed: they carry the OAuth state. Credential files are never
printed either: the database holds them only as ciphertext under a master key it does not have.
USAGE
}

die() {
  echo "sessions: $*" >&2
  exit 2
}

readonly STATUSES="pending starting awaiting_user verifying ready failed timeout cancelled"

# libpq advises against PGPASSWORD (other users may read a process's environment on some systems), so the
# password goes into a private temporary pgpass file instead, removed on exit.
use_password_file() {
  [ -r "$1" ] || die "PGPASSWORD_FILE $1 is not readable"
  local password escaped
  password=$(head -n 1 "$1")
  escaped=${password//\\/\\\\}
  escaped=${escaped//:/\\:}
  PGPASSFILE=$(umask 077 && mktemp "${TMPDIR:-/tmp}/sessions-pgpass.XXXXXX")
  trap 'rm -f "$PGPASSFILE"' EXIT
  printf '*:*:*:*:%s\n' "$escaped" >"$PGPASSFILE"
  export PGPASSFILE
}

data_dir() {
  echo "${LOGINRELAY_DATA_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.loginrelay/controller}"
}

database_url() {
  local url=${LOGINRELAY_DATABASE_URL:-}
  if [ -z "$url" ]; then
    local file
    file=$(data_dir)/database.url
    [ -r "$file" ] || die "LOGINRELAY_DATABASE_URL is not set and no running embedded controller wrote $file (see --help)"
    url=$(head -n 1 "$file")
  fi
  # The controller's JDBC form: jdbc:postgresql://host:port/db?user=u -> postgresql://host:port/db?user=u
  echo "${url#jdbc:}"
}

# The password never goes on argv: PGPASSWORD_FILE becomes a private pgpass file; with the embedded database (no
# LOGINRELAY_DATABASE_URL) the controller's own pgpass file (0600, only its user can read it) is used as it is.
use_credentials() {
  if [ -n "${PGPASSWORD_FILE:-}" ]; then
    use_password_file "$PGPASSWORD_FILE"
  elif [ -z "${LOGINRELAY_DATABASE_URL:-}" ] && [ -z "${PGPASSFILE:-}" ]; then
    local pass
    pass=$(data_dir)/pgpass
    [ -r "$pass" ] || die "cannot read $pass: run as the user that runs the controller (the embedded database needs its password)"
    export PGPASSFILE=$pass
  fi
}

cmd_sql() {
  local url
  url=$(database_url)
  command -v psql >/dev/null || die "psql is not installed"
  use_credentials
  PGAPPNAME=loginrelay-sessions.sh exec psql -X -d "$url" "$@"
}

psql_run() {
  local url
  url=$(database_url)
  command -v psql >/dev/null || die "psql is not installed"
  use_credentials
  if [ -n "${LOGINRELAY_DATABASE_SCHEMA:-}" ]; then
    [[ "$LOGINRELAY_DATABASE_SCHEMA" =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad schema name '$LOGINRELAY_DATABASE_SCHEMA'"
    export PGOPTIONS="${PGOPTIONS:-} -c search_path=$LOGINRELAY_DATABASE_SCHEMA"
  fi
  # The SQL comes on stdin so psql substitutes the :'var' parameters, quoted; values never reach the SQL text raw.
  PGAPPNAME=loginrelay-sessions.sh psql -X -q --no-psqlrc -v ON_ERROR_STOP=1 -P pager=off \
    -d "$url" "$@" -f -
}

cmd_list() {
  local provider="" status="" limit=20
  while [ $# -gt 0 ]; do
    case "$1" in
      --provider) [ $# -ge 2 ] || die "--provider needs a value"; provider=$2; shift 2 ;;
      --status) [ $# -ge 2 ] || die "--status needs a value"; status=$2; shift 2 ;;
      --limit) [ $# -ge 2 ] || die "--limit needs a value"; limit=$2; shift 2 ;;
      *) die "list: unknown argument '$1' (see --help)" ;;
    esac
  done
  [[ "$limit" =~ ^[0-9]+$ ]] && [ "$limit" -ge 1 ] && [ "$limit" -le 1000 ] || die "--limit must be 1..1000"
  if [ -n "$status" ] && [[ " $STATUSES " != *" $status "* ]]; then
    die "--status must be one of: $STATUSES"
  fi
  psql_run -v provider="$provider" -v status="$status" -v lim="$limit" <<'SQL'
SELECT session_id, owner, provider, status, expects, agent_id, browser_vm_id, vm_ip, error_code,
       date_trunc('second', created_at) AS created_at,
       date_trunc('second', coalesce(finished_at, now()) - created_at) AS age
FROM auth_sessions
WHERE (:'provider' = '' OR provider = :'provider')
  AND (:'status' = '' OR status = :'status')
ORDER BY created_at DESC
LIMIT :lim;
SQL
}

cmd_timeline() {
  [ $# -eq 1 ] || die "timeline needs exactly one SESSION_ID (see --help)"
  local id=$1
  [[ "$id" =~ ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$ ]] \
    || die "'$id' is not a session id (a UUID)"
  psql_run -v id="$id" <<'SQL'
\pset expanded on
SELECT session_id, owner, provider, status, expects, agent_id, browser_vm_id, vm_ip, error_code, error_message,
       account, created_at, updated_at, deadline_at, finished_at, version, last_agent_seq, event_seq
FROM auth_sessions WHERE session_id = :'id';
\pset expanded off
\if :ROW_COUNT
SELECT seq, at, kind,
       CASE WHEN to_status IS NULL THEN '' ELSE coalesce(from_status, '-') || ' -> ' || to_status END AS status,
       agent_seq, detail
FROM auth_session_events WHERE session_id = :'id' ORDER BY seq;
\else
DO $$ BEGIN RAISE EXCEPTION 'no such session'; END $$;
\endif
SQL
}

cmd_stuck() {
  [ $# -eq 0 ] || die "stuck takes no arguments"
  psql_run <<'SQL'
SELECT session_id, owner, provider, status, reason, agent_id, browser_vm_id, vm_ip,
       date_trunc('second', idle_for) AS idle_for, date_trunc('second', deadline_at) AS deadline_at
FROM stuck_sessions;
SQL
}

cmd_failures() {
  [ $# -eq 0 ] || die "failures takes no arguments"
  psql_run <<'SQL'
SELECT provider, status, error_code, sessions, date_trunc('second', last_seen) AS last_seen FROM failure_reasons;
SQL
}

cmd_credentials() {
  local user=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --user) [ $# -ge 2 ] || die "--user needs a value"; user=$2; shift 2 ;;
      *) die "credentials: unknown argument '$1' (see --help)" ;;
    esac
  done
  psql_run -v usr="$user" <<'SQL'
SELECT user_id, provider, version, state, account_email, account_plan, workspace_id,
       date_trunc('second', installed_at) AS installed_at, date_trunc('second', updated_at) AS updated_at,
       date_trunc('second', expires_at) AS expires_at, source_session_id, key_id
FROM credential_custody
WHERE (:'usr' = '' OR user_id = :'usr');
SELECT date_trunc('second', at) AS at, user_id, provider, version, kind, workspace_id, detail
FROM credential_events
WHERE (:'usr' = '' OR user_id = :'usr')
ORDER BY id DESC
LIMIT 30;
SQL
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
command=$1
shift
case "$command" in
  list) cmd_list "$@" ;;
  timeline) cmd_timeline "$@" ;;
  stuck) cmd_stuck "$@" ;;
  failures) cmd_failures "$@" ;;
  credentials) cmd_credentials "$@" ;;
  sql|psql) cmd_sql "$@" ;;
  -h|--help|help) usage ;;
  *) die "unknown command '$command' (see --help)" ;;
esac
