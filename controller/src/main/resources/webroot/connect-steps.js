// The Connect page's step panel: what the user must do while a session waits for them (device code, loopback
// address, pasted code) and the result at the end. Inputs are checked (connect-rules.js) before anything is sent.
import { ApiError, fill, h } from './common.js';
import { checkCallbackUrl, checkCode, explainError, hostOf, needsHashCode } from './connect-rules.js';

/**
 * Renders what the user must do (or the result) for session view `v` into `step`. `ctx` gives what the steps need
 * from the page: displayName(name), provider(name), post(action, body), setStatus(text), connect(provider),
 * codeSentFor() / sentCode(authUrl) to tell a code the CLI refused (it then shows a new sign-in link), and
 * cancelledHere() (this page's Cancel button ended it).
 */
export function renderStep(step, v, ctx) {
  if (v.status === 'awaiting_user') {
    if (v.userCode) {
      fill(step, deviceStep(v));
    } else if (v.expects === 'callback_url') {
      fill(step, loopbackStep(v, ctx));
    } else if (v.expects === 'code') {
      fill(step, codeStep(v, ctx));
    } else {
      fill(step, h('p', {}, 'Waiting for the CLI…'));
    }
    const first = step.querySelector('a.button, input');
    if (first) {
      first.focus();
    }
  } else if (v.terminal) {
    const result = {
      ready: readyResult, cancelled: cancelledResult,
    }[v.status] || failedResult;
    fill(step, result(v, ctx));
    step.querySelector('.result-h').focus();
  } else if (v.status === 'verifying') {
    fill(step, h('p', { class: 'working' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }),
      'The CLI is finishing the login; LoginRelay checks that its credentials really work.'),
    h('p', { class: 'hint', id: 'elapsed' }));
    renderProgress(step, v);
  } else {
    fill(step, startingSteps(v));
    renderProgress(step, v);
  }
}

/**
 * What happens before the user's turn, one line per step: `pending` waits for its turn (with its place in line when
 * sessions beyond capacity wait), then the controller starts the sign-in on a workspace, then the CLI starts there
 * (`starting`) until it shows the user's step. Steps done get a check mark, the current one says so.
 */
function startingSteps(v) {
  const q = v.queue;
  let current;
  if (v.status === 'starting') {
    current = 2;
  } else {
    current = q ? 0 : 1;
  }
  const line = q ? `You are number ${q.position} in line`
    + (q.estimateSeconds ? `, about ${q.estimateSeconds} s` : '') + '.' : null;
  const steps = [
    ['Waiting for your turn', current === 0 ? line : null],
    ['Starting the sign-in on your workspace', null],
    ['The CLI is starting', current === 2 ? 'Your sign-in link appears here as soon as the CLI prints it.' : null],
  ];
  return h('div', { id: 'progress' },
    h('ol', { class: 'progress' }, steps.map(([label, detail], i) => {
      const state = i < current ? 'done' : i === current ? 'current' : 'todo';
      return h('li', { class: state, 'aria-current': i === current ? 'step' : null, dataset: { step: String(i) } },
        h('span', { class: 'mark', 'aria-hidden': 'true' }, { done: '✓', current: '●' }[state] || ''),
        h('span', { class: 'label' }, label,
          state === 'done' ? h('span', { class: 'sr-only' }, ' (done)') : null,
          state === 'current' ? h('span', { class: 'sr-only' }, ' (now)') : null),
        detail ? h('span', { class: 'detail', id: i === 0 ? 'queue-place' : null }, detail) : null);
    })),
    h('p', { class: 'hint', id: 'elapsed' }));
}

/** Updates the elapsed time of a session that has not reached its end (called every second). */
export function renderProgress(step, v) {
  const el = step.querySelector('#elapsed');
  if (!el) {
    return;
  }
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(v.createdAt)) / 1000));
  const text = s < 60 ? `${s} s since the start` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s `
    + 'since the start';
  if (el.textContent !== text) {
    el.textContent = text;
  }
}

function openLink(url, label) {
  return h('p', {},
    h('a', { class: 'button primary', href: url, target: '_blank', rel: 'noopener noreferrer', id: 'open-link' },
      label, h('span', { class: 'sr-only' }, ' (opens in a new tab)'), h('span', { 'aria-hidden': 'true' }, ' ↗')),
    h('span', { class: 'hint block' }, `Opens ${hostOf(url)} in a new tab.`));
}

function deviceStep(v) {
  const note = h('p', { class: 'hint', id: 'copy-note', role: 'status' });
  const copy = async () => {
    note.textContent = await copyText(v.userCode) ? 'Code copied.' : 'Select the code and copy it.';
  };
  return h('ol', { class: 'steps' },
    h('li', {}, h('p', {}, 'Open the verification page and sign in there:'),
      openLink(v.verificationUrl, 'Open the verification page')),
    h('li', {}, h('p', { id: 'code-label' }, 'Enter this one-time code on that page:'),
      h('div', { class: 'user-code-row' },
        h('output', { id: 'user-code', class: 'user-code', 'aria-labelledby': 'code-label' }, v.userCode),
        h('button', { type: 'button', id: 'copy-code', onclick: copy }, 'Copy code')),
      note),
    h('li', {}, h('p', {}, 'Approve the sign-in. This page updates by itself.')));
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (e) {
    const r = document.createRange();
    r.selectNodeContents(document.getElementById('user-code'));
    getSelection().removeAllRanges();
    getSelection().addRange(r);
    return false;
  }
}

function loopbackStep(v, ctx) {
  const expected = expectedCallback(v.authUrl);
  return h('ol', { class: 'steps' },
    h('li', {}, h('p', {}, `Open the ${ctx.displayName(v.provider)} sign-in page and approve:`),
      openLink(v.authUrl, 'Open the sign-in page')),
    h('li', {}, h('p', {}, 'After you approve, your browser lands on a page that cannot load ("This site can’t be '
      + 'reached"). That is expected: the CLI is waiting for that page’s address.')),
    h('li', {}, inputForm({
      id: 'callback', label: 'Copy that page’s whole address from the address bar and paste it here:',
      hint: `It starts with ${expected}`, button: 'Send address', mode: 'url',
      check: (text) => checkCallbackUrl(text, v.authUrl),
      send: (text) => ctx.post('callback', { url: text.trim() }),
      ctx,
    })));
}

/** The start of the address the browser lands on: the auth URL's redirect_uri (codex: http://127.0.0.1:1455/…). */
function expectedCallback(authUrl) {
  try {
    const r = new URL(new URL(authUrl).searchParams.get('redirect_uri'));
    return `${r.protocol}//${r.host}${r.pathname}?…`;
  } catch (e) {
    return 'http://127.0.0.1 or http://localhost';
  }
}

function codeStep(v, ctx) {
  const p = ctx.provider(v.provider) || { name: v.provider };
  const hash = needsHashCode(p);
  const refused = ctx.codeSentFor() && ctx.codeSentFor() !== v.authUrl;
  return h('div', {},
    refused ? h('p', { class: 'notice', role: 'alert' }, 'That code was not accepted. The CLI started a new sign-in: '
      + 'open the new link below and paste the new code.') : null,
    h('ol', { class: 'steps' },
      h('li', {}, h('p', {}, `Open the ${ctx.displayName(v.provider)} sign-in page and approve:`),
        openLink(v.authUrl, 'Open the sign-in page')),
      h('li', {}, inputForm({
        id: 'code', label: 'Paste the code the page shows you:', button: 'Send code', mode: 'text',
        hint: hash ? 'Copy all of it, including the # in the middle.' : 'Copy it exactly as shown.',
        check: (text) => checkCode(text, { needsHash: hash, authUrl: v.authUrl }),
        send: (text) => {
          ctx.sentCode(v.authUrl);
          return ctx.post('code', { code: text.trim() });
        },
        ctx,
      }))));
}

/** A labelled input with a hint, an inline error and a submit button; sends only what `check` accepts. */
function inputForm({ id, label, hint, button, mode, check, send, ctx }) {
  const input = h('input', {
    id: `${id}-input`, name: id, type: 'text', inputmode: mode, autocomplete: 'off', autocapitalize: 'off',
    spellcheck: 'false', 'aria-describedby': `${id}-hint ${id}-error`,
  });
  const error = h('p', { class: 'error', id: `${id}-error`, hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, button);
  const say = (text) => {
    error.textContent = text || '';
    error.hidden = !text;
    input.setAttribute('aria-invalid', text ? 'true' : 'false');
  };
  input.addEventListener('input', () => say(null));
  const form = h('form', { class: 'send-form', id: `${id}-form`, novalidate: true },
    h('label', { for: `${id}-input` }, label), input, h('p', { class: 'hint', id: `${id}-hint` }, hint), error, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const problem = check(input.value);
    say(problem);
    if (problem) {
      input.focus();
      return;
    }
    submit.disabled = true;
    try {
      await send(input.value);
      ctx.setStatus('Sent. Checking the sign-in…');
    } catch (err) {
      say(err instanceof ApiError ? `Not accepted: ${err.message}` : String(err));
      input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function readyResult(v, ctx) {
  const a = v.account || {};
  const name = a.email || a.login;
  const who = name ? h('strong', { id: 'account-email' }, name) : 'your account';
  return h('div', { class: 'result ok' },
    h('h3', { class: 'result-h', tabindex: '-1' }, h('span', { 'aria-hidden': 'true' }, '✓ '),
      `${ctx.displayName(v.provider)} is connected`),
    h('p', {}, 'Connected as ', who, a.plan ? ` (plan: ${a.plan})` : null, '.'),
    whereItWent(ctx),
    h('p', { class: 'hint' }, 'You can close this page.'));
}

/** "Signed in in workspace X" once custody has placed the login (it takes a moment after ready). */
function whereItWent(ctx, p = h('p', { id: 'credentials-where' }), tries = 0) {
  if (ctx.credentials && tries < 15) {
    ctx.credentials().then((c) => {
      if (c.state === 'installed') {
        fill(p, 'Signed in in workspace ', h('strong', { id: 'credentials-workspace' }, c.workspace), '.');
      } else if (c.state === 'pending' || c.workspaceTarget) {
        setTimeout(() => whereItWent(ctx, p, tries + 1), 1000);
      } else if (c.state === 'held') {
        fill(p, 'Your login is kept safely for you; it is not in a workspace yet.');
      }
    }).catch(() => {});
  }
  return p;
}

/** Cancelled is the user's own choice (or an operator's): a neutral end, not a failure. */
function cancelledResult(v, ctx) {
  const message = (v.error && v.error.message) || '';
  let why = 'The sign-in was cancelled.';
  if (ctx.cancelledHere()) {
    why = 'You cancelled the sign-in. The CLI in your workspace was stopped.';
  } else if (/operator/.test(message)) {
    why = 'An administrator cancelled this sign-in.';
  } else if (/api key/.test(message)) {
    why = 'The application that started this sign-in cancelled it.';
  }
  return h('div', { class: 'result neutral', id: 'cancelled' },
    h('h3', { class: 'result-h', tabindex: '-1' }, 'Nothing was signed in'),
    h('p', { id: 'cancelled-reason' }, why),
    h('button', { type: 'button', class: 'primary', id: 'start-again', onclick: () => ctx.connect(v.provider) },
      'Start again'));
}

function failedResult(v, ctx) {
  const err = v.error || { code: v.status === 'timeout' ? 'TIMEOUT' : 'UNKNOWN', message: '' };
  return h('div', { class: 'result bad' },
    h('h3', { class: 'result-h', tabindex: '-1' }, 'What happened'),
    h('p', { id: 'failure-reason' }, explainError(err.code)),
    err.message ? h('div', { class: 'cli-said' },
      h('p', { class: 'label' }, v.status === 'failed' ? 'What the CLI said:' : 'Details:'),
      h('pre', { id: 'failure-message' }, err.message)) : null,
    h('p', { class: 'hint' }, `Error code: ${err.code}`),
    h('button', { type: 'button', class: 'primary', id: 'try-again', onclick: () => ctx.connect(v.provider) },
      'Try again'));
}
