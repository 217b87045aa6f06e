// The Connect page's pure rules (no DOM): error codes in plain words, and the checks of what the user pastes, run
// before anything is sent. Kept apart from connect.js so the operators' page can share the wording.

/** Plain words for the error codes of failed sessions (agent failure codes and the controller's own). */
const PLAIN = {
  TOKEN_EXCHANGE_FAILED: 'You approved the sign-in, but the CLI could not exchange it for its credentials. The link '
    + 'may have expired or been used already: start again and finish within a few minutes.',
  ACCESS_DENIED: 'The sign-in was declined or cancelled on the sign-in page.',
  CODE_REJECTED: 'The code was not accepted. It may have been mistyped, expired, or come from another sign-in.',
  LOGIN_FAILED: 'The CLI could not complete the sign-in.',
  AUTH_FAILED: 'The sign-in was refused by the provider.',
  SIGN_IN_FAILED: 'The sign-in was refused by the provider.',
  CLI_ERROR: 'The CLI reported an error while signing in.',
  CLI_EXITED: 'The CLI stopped before the sign-in was finished.',
  CREDENTIALS_MISSING: 'The CLI said it was done, but it saved no credentials, so you are not signed in.',
  VERIFY_FAILED: 'The CLI saved credentials, but they did not work when LoginRelay checked them.',
  TIMEOUT: 'Time ran out before the sign-in was finished.',
  DEADLINE_EXCEEDED: 'Time ran out before the sign-in was finished.',
  AGENT_LOST: 'LoginRelay lost contact with your workspace during the sign-in.',
  DISPATCH_FAILED: 'No workspace could be started for the sign-in just now.',
  CANCELLED: 'The sign-in was cancelled.',
  LOGIN_CANCELLED: 'The CLI cancelled its sign-in, usually because another sign-in started on the same machine.',
  PORT_IN_USE: 'The CLI could not start its sign-in listener because another sign-in is using it. Try again in a '
    + 'minute.',
  CLI_START_FAILED: 'The CLI could not be started in your workspace.',
  DEVICE_AUTH_DISABLED: 'Sign-in with a one-time code is not enabled for this account. Use the browser sign-in, or '
    + 'ask your administrator to enable device-code sign-in.',
  DEVICE_AUTH_EXPIRED: 'The one-time code expired before the sign-in was approved.',
  TOKEN_NOT_SAVED: 'You approved the sign-in, but the CLI could not store its credentials in your workspace.',
  COPILOT_ACCESS_FAILED: 'You signed in, but GitHub did not confirm a Copilot subscription for this account.',
  INPUT_ENDED: 'The CLI stopped waiting for the code.',
  FAILED: 'The sign-in did not finish.',
  LOCK_FAILED: 'Another sign-in on the same machine could not be waited for. Try again in a minute.',
  AUTH_URL_UNUSABLE: 'The CLI printed a sign-in link that LoginRelay cannot complete for you.',
  CLI_UNREACHABLE: 'LoginRelay could not hand your step to the CLI: it had stopped listening.',
  CREDENTIALS_STALE: 'The CLI did not save new credentials for this sign-in, so you are not signed in.',
  CREDENTIALS_UNREADABLE: 'The CLI saved credentials that LoginRelay could not read to check them.',
};

/** The plain-words reason of an error code; unknown codes get a generic sentence with the code. */
export function explainError(code) {
  return PLAIN[code] || `The sign-in did not finish (error ${code || 'unknown'}).`;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The host of a URL, or the text itself when it is not one. */
export function hostOf(url) {
  try {
    return new URL(url).host;
  } catch (e) {
    return url;
  }
}

/** What the loopback callback must look like, from the auth URL's redirect_uri and state (null parts unknown). */
function expectedFrom(authUrl) {
  const out = { host: null, origin: null, port: null, path: null, state: null };
  try {
    const a = new URL(authUrl);
    out.host = a.host;
    out.state = a.searchParams.get('state');
    const r = new URL(a.searchParams.get('redirect_uri'));
    out.origin = `${r.protocol}//${r.host}`;
    out.port = r.port || '80';
    out.path = r.pathname;
  } catch (e) {
    // no usable redirect_uri: only the generic checks apply
  }
  return out;
}

/**
 * Checks a pasted loopback callback address against the session's auth URL; returns a message for the user, or null
 * when it may be sent: http://127.0.0.1 (or localhost, ::1) on the redirect_uri's port and path, with this sign-in's
 * state and a code or an error. Messages name the address as the redirect_uri spells it (codex: 127.0.0.1).
 */
export function checkCallbackUrl(text, authUrl) {
  const t = (text || '').trim();
  const want = expectedFrom(authUrl);
  const shape = want.origin ? `${want.origin}${want.path}?…` : 'http://127.0.0.1';
  if (!t) {
    return 'Paste the address of the page your browser landed on.';
  }
  let u;
  try {
    u = new URL(t);
  } catch (e) {
    return `That is not a web address. Copy the whole address from the address bar; it starts with ${shape}`;
  }
  if (want.host && u.host === want.host) {
    return 'That is the sign-in link itself. Open it, approve, then copy the address of the page you land on.';
  }
  if (u.protocol !== 'http:' || !LOOPBACK.has(u.hostname)) {
    return `That is not the address this sign-in expects. It should start with ${shape}`;
  }
  if (want.port && ((u.port || '80') !== want.port || u.pathname !== want.path)) {
    return `That address goes to ${u.host}${u.pathname}, but this sign-in expects ${shape} Copy the address from `
      + 'the tab of this sign-in.';
  }
  const state = u.searchParams.get('state');
  if (!state) {
    return 'That address is incomplete (no state=… part). Copy the whole address, including everything after the ?.';
  }
  if (want.state && state !== want.state) {
    return 'That address belongs to a different sign-in. Open the sign-in link shown here and copy the address '
      + 'you land on afterwards.';
  }
  if (!u.searchParams.get('code') && !u.searchParams.get('error')) {
    return 'That address has no code=… part. Approve the sign-in first, then copy the address you land on.';
  }
  return null;
}

/** True for providers whose pasted code is CODE#STATE (Claude Code). */
export function needsHashCode(provider) {
  return /claude/i.test(`${provider.name || ''} ${provider.displayName || ''}`);
}

/**
 * Checks a pasted code; returns a message or null. No whitespace inside, not an address, at most 1024 characters;
 * with `needsHash`, CODE#STATE where STATE is the auth URL's state.
 */
export function checkCode(text, { needsHash, authUrl }) {
  const t = (text || '').trim();
  if (!t) {
    return 'Paste the code the sign-in page shows.';
  }
  if (/^https?:\/\//i.test(t)) {
    return 'That is a web address, not a code. Copy the code the page shows you.';
  }
  if (/\s/.test(t)) {
    return 'The code has spaces or line breaks in it. Copy it again exactly as shown.';
  }
  if (t.length > 1024) {
    return 'That is too long to be a sign-in code.';
  }
  if (needsHash) {
    const at = t.indexOf('#');
    if (at <= 0 || at === t.length - 1) {
      return 'That doesn’t look like the full code. Copy all of it, including the # in the middle.';
    }
    const state = expectedFrom(authUrl).state;
    if (state && t.slice(at + 1) !== state) {
      return 'That code belongs to a different sign-in. Open the sign-in link shown here and copy the code it gives '
        + 'you.';
    }
  }
  return null;
}
