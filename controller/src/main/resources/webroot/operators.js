// The operators' page: the sessions table (filters, counts by status) and one session's page (#<session id>: its row,
// where it ran, why it failed, its whole timeline). Both follow the sessions' own event streams (Server-Sent Events)
// instead of polling; only new sessions, which have no stream yet, are looked for every LIST_EVERY_MS and whenever
// the tab comes back into view. Needs the operator token, kept in sessionStorage (this tab only) and sent as a bearer
// token, also on the streams (read with fetch, so the token never goes into an address).
import { api, badge, clockWithZone, duration, fill, h, keepFocus, STATUS_LABELS, STATUSES, timeEl } from './common.js';
import { explainError } from './connect-rules.js';
import { operatorAuth, TOKEN_REFUSED } from './operator-auth.js';

/** New sessions appear in the list within this; changes of the listed active ones arrive at once over their streams. */
const LIST_EVERY_MS = 15000;
/** Streams for active rows: a browser opens 6 connections per host, and the API calls need some too. */
const ROW_STREAMS = 3;
/** How long after its end a session's page reads it again: an agent may report a last event just after the end. */
const LATE_EVENTS_MS = [2000, 8000];
const $ = (id) => document.getElementById(id);
const state = {
  token: null, // the operator token (operator-auth.js)
  timers: [],
  gen: 0, // bumped when the view changes: loads and streams of an older view stop
  status: '',
  streams: new Map(), // session id -> AbortController of its open event stream
  rowVersions: new Map(), // session id -> the version of its row on screen (streamed rows)
  onVisible: null, // reloads the current view when the tab comes back into view
  reloadDetail: null,
};

// ---- sign in / out ---------------------------------------------------------------------------------------------

const { showOnly, signOut, opApi } = operatorAuth(state, { route: () => route(), onSignOut: () => stopLive() });

// ---- live: event streams and timers ----------------------------------------------------------------------------

function route() {
  stopLive();
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
    followDetail(id, state.gen);
  } else {
    showOnly('list');
    followList(state.gen);
  }
}

/** Closes every stream and timer of the current view. */
function stopLive() {
  state.timers.forEach(clearTimeout);
  state.timers = [];
  state.gen += 1;
  state.streams.forEach((c) => c.abort());
  state.streams.clear();
  state.rowVersions = new Map();
  state.onVisible = null;
  state.reloadDetail = null;
}

function later(ms, fn, gen) {
  state.timers.push(setTimeout(() => { if (gen === state.gen) fn(); }, ms));
}

/**
 * Follows GET /api/v1/auth-sessions/{id}/events (text/event-stream) with the operator token in the Authorization
 * header: `onView(view)` for every `session` event; resolves when the server ends the stream (after a terminal
 * status), rejects on an error. Stopped by stopLive() or when `gen` is no longer the current view.
 */
async function stream(id, onView, gen) {
  const ctl = new AbortController();
  state.streams.get(id)?.abort();
  state.streams.set(id, ctl);
  try {
    const res = await fetch(`/api/v1/auth-sessions/${encodeURIComponent(id)}/events`, {
      headers: { Accept: 'text/event-stream', Authorization: `Bearer ${state.token}` },
      cache: 'no-store', signal: ctl.signal,
    });
    if (res.status === 401 || res.status === 403) {
      signOut(TOKEN_REFUSED);
      return;
    }
    if (!res.ok) {
      throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status });
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done || gen !== state.gen) {
        return;
      }
      buf += value;
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const lines = block.split('\n');
        const event = (lines.find((l) => l.startsWith('event:')) || '').slice(6).trim();
        const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
        if (event === 'session' && data) {
          onView(JSON.parse(data));
        }
      }
    }
  } finally {
    if (state.streams.get(id) === ctl) {
      state.streams.delete(id);
    }
  }
}

/** Runs `load` now, and again once when asked while it runs (a burst of events makes at most two loads). */
function coalesce(load) {
  let running = null;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return running;
    }
    running = load().catch(() => {});
    await running;
    running = null;
    if (again) {
      again = false;
      await run();
    }
    return undefined;
  };
  return run;
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

/**
 * Loads the list now; again every LIST_EVERY_MS (for new sessions) and when the tab comes back into view; and at
 * once when one of the newest active sessions changes, from its event stream. Without "Live updates": once.
 */
function followList(gen) {
  const live = $('auto').checked;
  $('list-live').textContent = live ? `Changes of active sessions show at once; new sessions within ${LIST_EVERY_MS
    / 1000} s.` : 'Live updates are off.';
  const reload = coalesce(async () => {
    const sessions = gen === state.gen ? await loadList() : null;
    if (sessions && live && gen === state.gen) {
      followRows(sessions, reload, gen);
    }
  });
  state.onVisible = reload;
  reload();
  const again = () => {
    if (!document.hidden) {
      reload();
    }
    later(LIST_EVERY_MS, again, gen);
  };
  if (live) {
    later(LIST_EVERY_MS, again, gen);
  }
}

/** Keeps a stream open for each of the newest active rows (ROW_STREAMS at most); a change reloads the list. */
function followRows(sessions, reload, gen) {
  const active = sessions.filter((s) => !s.terminal).slice(0, ROW_STREAMS);
  const versions = new Map(active.map((s) => [s.id, s.version]));
  state.streams.forEach((ctl, id) => {
    if (!versions.has(id)) {
      ctl.abort();
      state.streams.delete(id);
    }
  });
  state.rowVersions = versions;
  versions.forEach((version, id) => {
    if (!state.streams.has(id)) {
      stream(id, (v) => {
        if (v.version > (state.rowVersions.get(id) ?? -1)) {
          reload();
        }
      }, gen).catch(() => {}); // a broken stream is opened again by the next reload
    }
  });
}

/** The sessions of the filters, rendered with their counts; null when they could not be loaded. */
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
    $('list-updated').textContent = `Updated ${clockWithZone()}`;
    return list.sessions;
  } catch (e) {
    if (state.token) {
      err.textContent = `Could not load the sessions: ${e.message}`;
      err.hidden = false;
    }
    return null;
  }
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
  route();
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
  $('auto').addEventListener('change', refreshList);
}

// ---- one session -----------------------------------------------------------------------------------------------

/**
 * Loads the session and its timeline, then follows its event stream: each new version (a status move or an agent
 * event) loads them again. After the end it reads them twice more (LATE_EVENTS_MS) for an agent's last event.
 */
function followDetail(id, gen) {
  let shown = -1; // the version on screen
  let ended = false;
  const reload = coalesce(async () => {
    const s = gen === state.gen ? await loadDetail(id) : null;
    if (s) {
      shown = Math.max(shown, s.version);
    }
  });
  state.onVisible = reload;
  state.reloadDetail = reload;
  const follow = () => stream(id, (v) => {
    if (v.version > shown) {
      reload();
    }
    if (v.terminal && !ended) {
      ended = true;
      LATE_EVENTS_MS.forEach((ms) => later(ms, reload, gen));
    }
  }, gen).catch((e) => {
    if (gen === state.gen && state.token && e.status !== 404) {
      later(3000, () => { reload(); follow(); }, gen); // the stream broke (network, restart): read, then follow again
    }
  });
  reload().then(follow);
}

/** Renders the session and its timeline; returns the session, or null when it could not be loaded. */
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
    $('detail-updated').textContent = s.terminal ? `Finished · loaded ${clockWithZone()}`
      : `Live · updated ${clockWithZone()}`;
    return s;
  } catch (e) {
    if (state.token) {
      err.textContent = e.status === 404 ? `There is no session ${id}.` : `Could not load the session: ${e.message}`;
      err.hidden = false;
    }
    return null;
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
      row('Account', (a.email || a.login) ? `${a.email || a.login}${a.plan ? ` (plan ${a.plan})` : ''}` : null),
      row('Credentials', h('a', { id: 'credentials-link', href: `credentials.html#${encodeURIComponent(s.userId)}/${
        encodeURIComponent(s.provider)}` }, `In custody for ${s.userId} and ${s.provider}`))),
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
  state.reloadDetail?.(); // the stream brings the change too; this shows it even if the stream is down
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
  $('back').addEventListener('click', (e) => { e.preventDefault(); location.hash = ''; });
  window.addEventListener('hashchange', route);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && state.token && state.onVisible) {
      state.onVisible();
    }
  });
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
