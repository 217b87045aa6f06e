// The operators' page: the sessions table (filters, counts by status, refreshed every few seconds) and one session's
// page (#<session id>: its row, where it ran, why it failed, its whole timeline). Needs the operator token, which is
// kept in sessionStorage (this tab only) and sent as a bearer token.
import { api, badge, duration, fill, h, keepFocus, STATUS_LABELS, STATUSES, timeEl } from './common.js';
import { explainError } from './connect-rules.js';

const TOKEN_KEY = 'loginrelay.operatorToken';
const LIST_EVERY_MS = 5000;
const DETAIL_EVERY_MS = 3000;
const $ = (id) => document.getElementById(id);
const state = { token: sessionStorage.getItem(TOKEN_KEY), timer: null, gen: 0, status: '' };

// ---- sign in / out ---------------------------------------------------------------------------------------------

function showOnly(id) {
  ['login', 'list', 'detail'].forEach((s) => { $(s).hidden = s !== id; });
  $('sign-out').hidden = id === 'login';
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  stopPolling();
  showOnly('login');
  const err = $('token-error');
  err.textContent = message || '';
  err.hidden = !message;
  $('op-token').setAttribute('aria-invalid', message ? 'true' : 'false');
  $('op-token').focus();
}

async function signIn(e) {
  e.preventDefault();
  const token = $('op-token').value.trim();
  if (!token) {
    signOut('Enter the operator token.');
    return;
  }
  state.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  $('op-token').value = '';
  route();
}

/** Calls the operator API; a refused token sends the user back to the sign-in form. */
async function opApi(method, path) {
  try {
    return await api(method, path, { token: state.token });
  } catch (e) {
    if (e.status === 401 || e.status === 403) {
      signOut('That token was not accepted. Check the operator token and try again.');
    }
    throw e;
  }
}

// ---- routing and polling ---------------------------------------------------------------------------------------

function route() {
  stopPolling();
  if (!state.token) {
    signOut();
    return;
  }
  const id = decodeURIComponent(location.hash.slice(1));
  if (id) {
    showOnly('detail');
    fill($('detail-body'));
    fill($('timeline').tBodies[0]);
    $('detail-h').textContent = `Session ${id}`;
    $('detail-h').focus();
    poll(() => loadDetail(id), DETAIL_EVERY_MS);
  } else {
    showOnly('list');
    poll(loadList, LIST_EVERY_MS);
  }
}

function stopPolling() {
  clearTimeout(state.timer);
  state.gen += 1; // a load still in flight does not schedule the next one
}

/** Runs `load` now (unless the tab is hidden) and again every `ms` while it asks to (returns true). */
async function poll(load, ms, gen = state.gen) {
  let again = true;
  if (!document.hidden) {
    again = await load().catch(() => true);
  }
  if (again && state.token && gen === state.gen) {
    state.timer = setTimeout(() => poll(load, ms, gen), ms);
  }
}

// ---- the sessions list -----------------------------------------------------------------------------------------

function filterParams(withStatus) {
  const q = new URLSearchParams();
  if (withStatus && state.status) {
    q.set('status', state.status);
  }
  if ($('f-provider').value) {
    q.set('provider', $('f-provider').value);
  }
  const range = $('f-range').value;
  if (range === 'custom') {
    if ($('f-since').value) {
      q.set('since', new Date($('f-since').value).toISOString());
    }
    if ($('f-until').value) {
      q.set('until', new Date($('f-until').value).toISOString());
    }
  } else if (range !== 'all') {
    q.set('since', new Date(Date.now() - Number(range) * 1000).toISOString());
  }
  return q;
}

async function loadList() {
  const q = filterParams(true);
  q.set('limit', '200');
  const err = $('list-error');
  try {
    const [list, counts] = await Promise.all([
      opApi('GET', `/api/v1/auth-sessions?${q}`),
      opApi('GET', `/api/v1/auth-sessions/counts?${filterParams(false)}`)]);
    keepFocus(() => {
      renderCounts(counts);
      renderRows(list.sessions);
    });
    err.hidden = true;
    $('list-updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    if (state.token) {
      err.textContent = `Could not load the sessions: ${e.message}`;
      err.hidden = false;
    }
  }
  return $('auto').checked;
}

function renderCounts({ counts, total }) {
  const item = (value, label, n) => h('li', {},
    h('button', { type: 'button', 'aria-pressed': String(state.status === value),
      dataset: { status: value, focusKey: `count-${value}` },
      onclick: () => { state.status = value; $('f-status').value = value; refreshList(); } },
    `${label} `, h('span', { class: 'n' }, String(n))));
  fill($('counts'), item('', 'All', total), STATUSES.map((s) => item(s, STATUS_LABELS[s], counts[s] || 0)));
}

function renderRows(sessions) {
  const body = $('sessions').tBodies[0];
  $('sessions-caption').textContent = `${sessions.length} session${sessions.length === 1 ? '' : 's'}, newest first`
    + (sessions.length >= 200 ? ' (first 200)' : '');
  if (sessions.length === 0) {
    fill(body, h('tr', { class: 'empty-row' },
      h('td', { colspan: '8', class: 'empty' }, 'No sessions match these filters.')));
    return;
  }
  fill(body, sessions.map((s) => h('tr', { dataset: { id: s.id, status: s.status } },
    cell('Created', { class: 'nowrap' }, timeEl(s.createdAt)),
    cell('Session', {}, h('a', { href: `#${s.id}`, class: 'mono', 'aria-label': `Session ${s.id}`,
      dataset: { focusKey: `row-${s.id}` } }, s.id.slice(0, 8))),
    cell('Provider', {}, s.provider),
    cell('User', {}, s.userId),
    cell('Status', {}, badge(s.status)),
    cell('Reason', {}, s.error ? h('span', { title: explainError(s.error.code) }, s.error.code) : '—'),
    cell('Agent', { class: 'mono' }, s.agentId || '—'),
    cell('Took', { class: 'num nowrap' }, duration(Date.parse(s.finishedAt || new Date().toISOString())
      - Date.parse(s.createdAt))))));
}

/** A table cell; on a phone the table turns into cards and data-label names each value. */
function cell(label, attrs, ...children) {
  return h('td', { ...attrs, 'data-label': label }, ...children);
}

function refreshList() {
  stopPolling();
  poll(loadList, LIST_EVERY_MS);
}

function setUpFilters(providers) {
  fill($('f-status'), h('option', { value: '' }, 'Any status'),
    STATUSES.map((s) => h('option', { value: s }, STATUS_LABELS[s])));
  fill($('f-provider'), h('option', { value: '' }, 'Any provider'),
    providers.map((p) => h('option', { value: p.name }, p.name)));
  $('f-status').addEventListener('change', () => { state.status = $('f-status').value; refreshList(); });
  $('f-provider').addEventListener('change', refreshList);
  $('f-range').addEventListener('change', () => {
    const custom = $('f-range').value === 'custom';
    $('custom-from').hidden = !custom;
    $('custom-to').hidden = !custom;
    if (!custom) {
      refreshList();
    }
  });
  $('filters').addEventListener('submit', (e) => { e.preventDefault(); refreshList(); });
  $('auto').addEventListener('change', () => { if ($('auto').checked) refreshList(); });
}

// ---- one session -----------------------------------------------------------------------------------------------

async function loadDetail(id) {
  const path = `/api/v1/auth-sessions/${encodeURIComponent(id)}`;
  const err = $('detail-error');
  try {
    const [s, t] = await Promise.all([opApi('GET', path), opApi('GET', `${path}/timeline`)]);
    keepFocus(() => {
      renderDetail(s);
      renderTimeline(s, t.events);
    });
    err.hidden = true;
    $('detail-updated').textContent = s.terminal ? `Finished. Loaded ${new Date().toLocaleTimeString()}`
      : `Refreshing every 3 s · updated ${new Date().toLocaleTimeString()}`;
    // Agents may report a last event just after the end: keep reading for a few seconds more.
    return !s.terminal || Date.now() - Date.parse(s.finishedAt) < 10000;
  } catch (e) {
    if (state.token) {
      err.textContent = e.status === 404 ? `There is no session ${id}.` : `Could not load the session: ${e.message}`;
      err.hidden = false;
    }
    return e.status !== 404;
  }
}

function renderDetail(s) {
  const a = s.account || {};
  const row = (k, v) => [h('dt', {}, k), h('dd', {}, v === null || v === undefined || v === '' ? '—' : v)];
  const took = duration(Date.parse(s.finishedAt || new Date().toISOString()) - Date.parse(s.createdAt));
  fill($('detail-body'),
    h('dl', { class: 'summary', id: 'summary' },
      row('Session', h('span', { class: 'mono' }, s.id)), row('Status', badge(s.status)),
      row('Provider', s.provider), row('User', s.userId),
      row('Created', timeEl(s.createdAt)), row('Updated', timeEl(s.updatedAt)),
      row('Deadline', timeEl(s.deadlineAt)), row('Finished', timeEl(s.finishedAt)), row('Took', took),
      row('Agent', s.agentId && h('span', { class: 'mono', id: 'agent-id' }, s.agentId)),
      row('Browser VM', s.browserVmId), row('VM address', s.vmIp),
      row('Account', (a.email || a.login) ? `${a.email || a.login}${a.plan ? ` (plan ${a.plan})` : ''}` : null)),
    s.error ? h('div', { class: 'result bad', id: 'detail-failure' },
      h('h2', { class: 'result-h' }, 'Why it ended'),
      h('p', {}, explainError(s.error.code)),
      s.error.message ? h('div', { class: 'cli-said' }, h('p', { class: 'label' }, 'Message:'),
        h('pre', {}, s.error.message)) : null,
      h('p', { class: 'hint' }, `Error code: ${s.error.code}`)) : null,
    s.terminal ? null : h('p', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', dataset: { focusKey: 'cancel' },
        onclick: () => cancelSession(s.id) }, 'Cancel this session')));
}

async function cancelSession(id) {
  try {
    await opApi('POST', `/api/v1/auth-sessions/${encodeURIComponent(id)}/cancel`);
  } catch (e) {
    $('detail-error').textContent = `Could not cancel: ${e.message}`;
    $('detail-error').hidden = false;
  }
  route();
}

// Not `code`: in these details it is an error code (agent.failed); OAuth codes are never stored.
const SECRET_KEYS = /^(state|user_code|device_code|code_verifier|password|secret)$|token$/i;

/** Belt and braces: the server stores redacted details; mask anything that still looks like a secret. */
function redact(value) {
  if (Array.isArray(value)) {
    return value.map(redact);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? '<masked>' : redact(v)]));
  }
  return value;
}

/** An event's details as "key: value" lines (values that are not strings as JSON). */
function details(detail) {
  const entries = Object.entries(redact(detail || {}));
  if (entries.length === 0) {
    return '—';
  }
  return h('pre', { class: 'details' }, entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v
    : JSON.stringify(v)}`).join('\n'));
}

function renderTimeline(s, events) {
  const t0 = Date.parse(s.createdAt);
  fill($('timeline').tBodies[0], events.map((e) => h('tr', { dataset: { kind: e.kind } },
    cell('#', { class: 'num' }, String(e.seq)),
    cell('Time', { class: 'nowrap' }, timeEl(e.at)),
    cell('After', { class: 'num nowrap' }, `+${duration(Date.parse(e.at) - t0)}`),
    cell('Event', { class: 'mono' }, e.kind),
    cell('Status', {},
      e.toStatus ? h('span', {}, e.fromStatus ? `${e.fromStatus} → ` : '', badge(e.toStatus)) : '—'),
    cell('Details', {}, details(e.detail)))));
}

// ---- start -----------------------------------------------------------------------------------------------------

async function start() {
  $('token-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => signOut());
  $('back').addEventListener('click', (e) => { e.preventDefault(); location.hash = ''; });
  window.addEventListener('hashchange', route);
  let providers = [];
  try {
    providers = (await api('GET', '/api/v1/providers')).providers;
  } catch (e) {
    providers = [];
  }
  setUpFilters(providers);
  route();
}

start();
