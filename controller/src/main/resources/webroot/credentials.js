// The operators' credentials page: every record in custody (who, which account, state, where installed, who
// refreshes its tokens, when) and one record's events (#<user>/<provider>). Metadata only: the API gives operators
// nothing else. Shares the operator token of the sessions page (sessionStorage, this tab only).
import { clockWithZone, fill, h, keepFocus, timeEl } from './common.js';
import { operatorAuth } from './operator-auth.js';

const LIST_LIMIT = 200;
const $ = (id) => document.getElementById(id);
const state = { token: null, gen: 0 }; // token: the operator token (operator-auth.js)

const STATE_LABELS = { held: 'Held in custody', installed: 'Installed', revoked: 'Revoked' };

// ---- sign in / out ---------------------------------------------------------------------------------------------

const { showOnly, signOut, opApi } = operatorAuth(state, { route: () => route() });

// ---- views -----------------------------------------------------------------------------------------------------

/** "#ada/claude" -> {userId, provider}; null for the list. */
function recordOf(hash) {
  const raw = hash.slice(1);
  const i = raw.lastIndexOf('/');
  return i > 0 ? { userId: decodeURIComponent(raw.slice(0, i)), provider: decodeURIComponent(raw.slice(i + 1)) }
    : null;
}

function route() {
  state.gen += 1;
  if (!state.token) {
    signOut();
    return;
  }
  const rec = recordOf(location.hash);
  if (rec) {
    showOnly('detail');
    $('detail-h').textContent = `Credentials of ${rec.userId} for ${rec.provider}`;
    $('detail-h').focus();
    loadDetail(rec, state.gen);
  } else {
    showOnly('list');
    loadList(state.gen);
  }
}

function cell(label, attrs, ...children) {
  return h('td', { ...attrs, 'data-label': label }, ...children);
}

function stateBadge(s) {
  return h('span', { class: `badge badge-cred-${s}` }, STATE_LABELS[s] || s);
}

/** Who refreshes the tokens: the workspace's CLI once installed there; nobody while held; none once revoked. */
function refreshOwner(c) {
  if (c.state === 'installed' && c.workspace) {
    return h('span', {}, 'workspace ', h('span', { class: 'mono' }, c.workspace));
  }
  return c.state === 'held' ? 'nobody (held in custody)' : '—';
}

function account(c) {
  const a = c.account || {};
  return a.email ? `${a.email}${a.plan ? ` (plan ${a.plan})` : ''}` : '—';
}

function recordHref(c) {
  return `#${encodeURIComponent(c.userId)}/${encodeURIComponent(c.provider)}`;
}

/** A link to the session's page; `short` shows the first 8 characters of its id (the full id in the tooltip). */
function sessionLink(id, short) {
  return id ? h('a', { href: `operators.html#${encodeURIComponent(id)}`, class: 'mono', title: id,
    'aria-label': `Session ${id}` }, short ? id.slice(0, 8) : id) : '—';
}

async function loadList(gen) {
  const err = $('list-error');
  try {
    const { credentials } = await opApi('GET', `/api/v1/credentials?limit=${LIST_LIMIT}`);
    if (gen !== state.gen) {
      return;
    }
    keepFocus(() => renderRows(credentials));
    err.hidden = true;
    $('list-updated').textContent = `Updated ${clockWithZone()}`;
  } catch (e) {
    if (state.token && gen === state.gen) {
      err.textContent = `Could not load the credentials: ${e.message}`;
      err.hidden = false;
    }
  }
}

function renderRows(list) {
  const body = $('credentials').tBodies[0];
  $('credentials-caption').textContent = `${list.length} record${list.length === 1 ? '' : 's'}, latest change first`
    + (list.length >= LIST_LIMIT ? ` (first ${LIST_LIMIT})` : '');
  if (list.length === 0) {
    fill(body, h('tr', { class: 'empty-row' }, h('td', { colspan: '10', class: 'empty' },
      'No credentials in custody yet: a login that reaches ready puts its files here.')));
    return;
  }
  fill(body, list.map((c) => h('tr', { dataset: { user: c.userId, provider: c.provider, state: c.state } },
    cell('User', { class: 'nowrap' }, h('a', { href: recordHref(c),
      'aria-label': `Credentials of ${c.userId} for ${c.provider}`,
      dataset: { focusKey: `rec-${c.userId}/${c.provider}` } }, c.userId)),
    cell('Provider', { class: 'nowrap' }, c.provider),
    cell('Account', {}, account(c)),
    cell('State', {}, stateBadge(c.state)),
    cell('Refresh owner', {}, refreshOwner(c)),
    cell('Created', {}, timeEl(c.createdAt)),
    cell('Installed', {}, c.state === 'installed' ? timeEl(c.installedAt) : timeEl(null)),
    cell('Revoked', {}, c.state === 'revoked' ? timeEl(c.updatedAt) : timeEl(null)),
    cell('Expires', {}, timeEl(c.expiresAt)),
    cell('Login', { class: 'nowrap' }, sessionLink(c.sourceSessionId, true)))));
}

async function loadDetail(rec, gen) {
  const base = `/api/v1/credentials/${encodeURIComponent(rec.userId)}/${encodeURIComponent(rec.provider)}`;
  const err = $('detail-error');
  fill($('detail-body'));
  fill($('events').tBodies[0]);
  try {
    const [c, ev] = await Promise.all([opApi('GET', `${base}/status`), opApi('GET', `${base}/events`)]);
    if (gen !== state.gen) {
      return;
    }
    renderDetail(c);
    renderEvents(ev.events);
    err.hidden = true;
  } catch (e) {
    if (state.token && gen === state.gen) {
      err.textContent = e.status === 404 ? `Nothing in custody for ${rec.userId} and ${rec.provider}.`
        : `Could not load the credentials: ${e.message}`;
      err.hidden = false;
    }
  }
}

function renderDetail(c) {
  const row = (k, v) => [h('dt', {}, k), h('dd', {}, v === null || v === undefined || v === '' ? '—' : v)];
  fill($('detail-body'), h('dl', { class: 'summary', id: 'summary' },
    row('User', c.userId), row('Provider', c.provider), row('Account', account(c)),
    row('State', stateBadge(c.state)), row('Refresh owner', refreshOwner(c)),
    row('Workspace', c.workspace), row('Version', String(c.version)),
    row('Created', timeEl(c.createdAt)), row('Updated', timeEl(c.updatedAt)),
    row('Installed', c.state === 'installed' ? timeEl(c.installedAt) : null),
    row('Revoked', c.state === 'revoked' ? timeEl(c.updatedAt) : null),
    row('Access token expires', timeEl(c.expiresAt)), row('Master key', c.keyId),
    row('Login', sessionLink(c.sourceSessionId))));
}

// Belt and braces: events hold metadata only; mask anything that still looks like a secret.
const SECRET_KEYS = /^(state|code|user_code|device_code|code_verifier|password|secret|content)$|token$/i;

function details(detail) {
  const entries = Object.entries(detail || {}).map(([k, v]) => [k, SECRET_KEYS.test(k) ? '<masked>' : v]);
  if (entries.length === 0) {
    return '—';
  }
  return h('pre', { class: 'details' }, entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v
    : JSON.stringify(v)}`).join('\n'));
}

function renderEvents(events) {
  fill($('events').tBodies[0], events.map((e) => h('tr', { dataset: { kind: e.kind } },
    cell('Time', { class: 'nowrap' }, timeEl(e.at)),
    cell('Event', { class: 'mono' }, e.kind),
    cell('Version', { class: 'num' }, e.version === null || e.version === undefined ? '—' : String(e.version)),
    cell('Workspace', { class: 'mono' }, e.workspace || '—'),
    cell('Login', { class: 'nowrap' }, sessionLink(e.sessionId, true)),
    cell('Details', {}, details(e.detail)))));
}

// ---- start -----------------------------------------------------------------------------------------------------

$('reload').addEventListener('click', () => route());
$('back').addEventListener('click', (e) => { e.preventDefault(); location.hash = ''; });
window.addEventListener('hashchange', route);
route();
