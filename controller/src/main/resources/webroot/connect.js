// The Connect page: one click creates an auth session (through the demo backend POST /ui/sessions, or a session the
// product hands over in the fragment #session=<id>&token=<token>), then follows it live over Server-Sent Events and
// shows the user's step. Inputs are checked here before anything is sent.
import { api, fill, h, providerLabels } from './common.js';
import { renderProgress, renderStep } from './connect-steps.js';

const USER_KEY = 'loginrelay.demoUser';
const SESSION_KEY = 'loginrelay.session';
const $ = (id) => document.getElementById(id);

const page = {
  providers: new Map(), // name -> provider from GET /api/v1/providers
  labels: new Map(), // name -> a label no other provider has
  session: null, // {id, token, provider}
  view: null, // the newest session view
  stepKey: null, // what the step panel shows now; re-rendered only when this changes
  events: null, // EventSource
  ticker: null, // countdown interval
  codeSentFor: null, // the auth URL a code was sent for (a new URL afterwards means the code was refused)
  cancelledHere: false, // this page's Cancel button ended the session
};

function demoUser() {
  let u = localStorage.getItem(USER_KEY);
  if (!u || !/^demo-[A-Za-z0-9_-]{1,40}$/.test(u)) {
    const bytes = crypto.getRandomValues(new Uint8Array(4));
    u = `demo-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
    localStorage.setItem(USER_KEY, u);
  }
  return u;
}

function displayName(name) {
  return page.labels.get(name) || name;
}

// ---- providers -------------------------------------------------------------------------------------------------

async function loadProviders() {
  const list = $('providers');
  try {
    const { providers } = await api('GET', '/api/v1/providers');
    providers.forEach((p) => page.providers.set(p.name, p));
    page.labels = providerLabels(providers);
    fill(list, providers.map(providerItem));
  } catch (e) {
    fill(list, h('li', { class: 'error' }, `The list of CLIs could not be loaded: ${e.message}`));
  }
  list.removeAttribute('aria-busy');
  lockChooser(page.session !== null && !(page.view && page.view.terminal));
}

function providerItem(p) {
  const reasonId = `reason-${p.name}`;
  return h('li', { class: 'provider' },
    h('button', {
      type: 'button', class: 'primary connect', dataset: { provider: p.name }, disabled: !p.available,
      'aria-describedby': p.available ? null : reasonId, onclick: () => connect(p.name),
    }, `Connect ${displayName(p.name)}`),
    p.available ? null : h('p', { class: 'reason', id: reasonId }, `Not available: ${p.reason || 'unknown reason'}`));
}

/** While a sign-in is in progress the chooser is out of the way; it comes back when the sign-in ends. */
function lockChooser(locked) {
  $('chooser').hidden = locked;
}

// ---- session lifecycle -----------------------------------------------------------------------------------------

async function connect(provider) {
  lockChooser(true);
  showPanel(provider);
  setStatus(`Creating a ${displayName(provider)} sign-in…`);
  fill($('step'));
  $('session-h').focus();
  try {
    const v = await api('POST', '/ui/sessions', { body: { provider }, headers: { 'X-Demo-User': demoUser() } });
    attach({ id: v.id, token: v.sessionToken, provider }, v);
  } catch (e) {
    createFailed(provider, e);
  }
}

function createFailed(provider, e) {
  let text = `The sign-in could not be started: ${e.message}`;
  if (e.code === 'SESSION_ACTIVE') {
    text = `You already have a ${displayName(provider)} sign-in in progress (perhaps in another tab). Finish or cancel `
      + 'it there, or wait until it times out.';
  } else if (e.status === 404 && e.code === 'NOT_FOUND') {
    text = 'This page cannot start sign-ins by itself here: its demo backend is turned off. Open it from your '
      + 'product instead.';
  }
  setStatus('Not started');
  fill($('step'), h('div', { class: 'result bad', role: 'alert' }, h('p', {}, text),
    h('button', { type: 'button', class: 'primary', onclick: () => connect(provider) }, 'Try again')));
  $('cancel').hidden = true;
  lockChooser(false);
}

/** Follows a session: shows `first` (if given), then every change pushed over SSE. */
function attach(session, first) {
  detach();
  page.session = session;
  page.codeSentFor = null;
  page.cancelledHere = false;
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  showPanel(session.provider);
  if (first) {
    show(first);
  }
  const url = `/api/v1/auth-sessions/${encodeURIComponent(session.id)}/events`
    + `?access_token=${encodeURIComponent(session.token)}`;
  const es = new EventSource(url);
  page.events = es;
  es.addEventListener('session', (e) => {
    const v = JSON.parse(e.data);
    show(v);
    if (v.terminal) {
      es.close();
    }
  });
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) {
      refresh(); // the server refused the stream (expired token, unknown session): read the session once
    }
  };
  page.ticker = setInterval(tick, 1000);
}

function detach() {
  if (page.events) {
    page.events.close();
  }
  clearInterval(page.ticker);
  page.events = null;
  page.view = null;
  page.stepKey = null;
}

async function refresh() {
  const s = page.session;
  try {
    show(await api('GET', `/api/v1/auth-sessions/${encodeURIComponent(s.id)}`, { token: s.token }));
  } catch (e) {
    if (e.status === 401 || e.status === 404) {
      forget();
      setStatus('This sign-in is no longer available. Start a new one.');
      fill($('step'));
      $('cancel').hidden = true;
      lockChooser(false);
    }
  }
}

function forget() {
  sessionStorage.removeItem(SESSION_KEY);
  detach();
}

const STATUS_TEXT = {
  pending: 'Waiting to start…',
  starting: 'Starting the CLI in your workspace…',
  awaiting_user: 'Waiting for you',
  verifying: 'Checking the sign-in…',
  ready: 'Connected',
  failed: 'Sign-in failed',
  timeout: 'Time ran out',
  cancelled: 'Sign-in cancelled',
};

/** Renders a session view; older versions than the one shown are ignored. */
function show(v) {
  if (page.view && v.version < page.view.version) {
    return;
  }
  page.view = v;
  if (!page.session.provider) {
    page.session.provider = v.provider; // handed over without its provider
    showPanel(v.provider);
  }
  setStatus(STATUS_TEXT[v.status] || v.status);
  $('cancel').hidden = v.terminal;
  tick();
  const q = v.queue || {};
  const key = [v.status, v.expects, v.authUrl, v.verificationUrl, v.userCode, q.position, q.estimateSeconds].join('|');
  if (key !== page.stepKey) {
    page.stepKey = key;
    renderStep($('step'), v, stepContext);
  }
  if (v.terminal) {
    clearInterval(page.ticker);
    sessionStorage.removeItem(SESSION_KEY);
    lockChooser(false);
  }
}

function showPanel(provider) {
  $('session').hidden = false;
  $('session-h').textContent = displayName(provider);
}

function setStatus(text) {
  if ($('status').textContent !== text) {
    $('status').textContent = text;
  }
}

function tick() {
  const v = page.view;
  const el = $('countdown');
  if (v && !v.terminal) {
    renderProgress($('step'), v);
  }
  if (!v || v.terminal) {
    el.hidden = true;
    return;
  }
  const left = Math.max(0, Math.floor((Date.parse(v.deadlineAt) - Date.now()) / 1000));
  const m = Math.floor(left / 60);
  el.hidden = false;
  el.classList.toggle('warn', left < 60);
  el.textContent = left > 0 ? `Time left: ${m}:${String(left % 60).padStart(2, '0')}` : 'Time is up…';
}

async function cancel() {
  const s = page.session;
  if (!s) {
    return;
  }
  $('cancel').disabled = true;
  page.cancelledHere = true;
  try {
    show(await api('POST', `/api/v1/auth-sessions/${encodeURIComponent(s.id)}/cancel`, { token: s.token }));
  } catch (e) {
    page.cancelledHere = false;
    setStatus(`Could not cancel: ${e.message}`);
    refresh();
  } finally {
    $('cancel').disabled = false;
  }
}

function post(action, body) {
  const s = page.session;
  return api('POST', `/api/v1/auth-sessions/${encodeURIComponent(s.id)}/${action}`, { token: s.token, body });
}

const stepContext = {
  displayName,
  provider: (name) => page.providers.get(name),
  post,
  setStatus,
  connect,
  codeSentFor: () => page.codeSentFor,
  cancelledHere: () => page.cancelledHere,
  sentCode: (authUrl) => { page.codeSentFor = authUrl; },
  // Where the login went after ready: {state: pending|held|installed|revoked, workspace}.
  credentials: () => api('GET', `/api/v1/auth-sessions/${encodeURIComponent(page.session.id)}/credentials`,
    { token: page.session.token }),
};

// ---- start -----------------------------------------------------------------------------------------------------

/** A session handed over in the fragment (#session=<id>&token=<token>[&provider=<name>]), or null. */
function fromFragment() {
  const f = new URLSearchParams(location.hash.slice(1));
  if (!f.get('session') || !f.get('token')) {
    return null;
  }
  history.replaceState(null, '', location.pathname + location.search); // keep the token out of history
  return { id: f.get('session'), token: f.get('token'), provider: f.get('provider') || '' };
}

/** The handed-over session, else the one this tab was following before a reload. */
function handedOver() {
  const given = fromFragment();
  if (given) {
    return given;
  }
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY));
  } catch (e) {
    return null;
  }
}

async function start() {
  $('demo-user').textContent = demoUser();
  $('cancel').addEventListener('click', cancel);
  const resume = handedOver();
  await loadProviders();
  if (resume && resume.id && resume.token) {
    lockChooser(true);
    attach(resume, null);
  }
  window.addEventListener('hashchange', () => {
    const given = fromFragment();
    if (given) {
      lockChooser(true);
      attach(given, null);
    }
  });
}

if (document.body.dataset.page === 'connect') {
  start();
}
