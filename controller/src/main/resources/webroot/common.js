// Helpers shared by the Connect page (connect.js) and the operators' page (operators.js). No framework, no build step.

/** An API error: HTTP status (0 = network), the error code of the JSON body and its message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Calls the controller's JSON API. Resolves with the parsed body; rejects with an ApiError carrying the body's
 * {"error":{"code","message"}} when the status is not 2xx.
 */
export async function api(method, path, { token, body, headers } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (token) {
    h.Authorization = `Bearer ${token}`;
  }
  if (body !== undefined) {
    h['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path, {
      method, headers: h, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', 'LoginRelay could not be reached. Check your connection and try again.');
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  if (!res.ok) {
    const err = (json && json.error) || {};
    throw new ApiError(res.status, err.code || `HTTP_${res.status}`, err.message || res.statusText || 'request failed');
  }
  return json;
}

/**
 * Builds an element: h('p', {class: 'x', onclick: fn}, 'text', child...). Attributes with null/false values are
 * skipped; children that are null/false are skipped, strings become text nodes (never HTML).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) {
      continue;
    }
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) {
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }
  return el;
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/**
 * Runs `render` (which replaces DOM) and puts the keyboard focus back on the element with the same
 * data-focus-key, so a periodic refresh never throws a keyboard user back to the top of the page.
 */
export function keepFocus(render) {
  const active = document.activeElement;
  const key = active && active.dataset ? active.dataset.focusKey : null;
  render();
  if (key && document.activeElement !== active) {
    const again = document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
    if (again) {
      again.focus();
    }
  }
}

/** Human wording of a session status. */
export const STATUS_LABELS = {
  pending: 'Pending',
  starting: 'Starting',
  awaiting_user: 'Waiting for the user',
  verifying: 'Verifying',
  ready: 'Ready',
  failed: 'Failed',
  timeout: 'Timed out',
  cancelled: 'Cancelled',
};

export const STATUSES = Object.keys(STATUS_LABELS);

/** A status badge. */
export function badge(status) {
  return h('span', { class: `badge badge-${status}` }, STATUS_LABELS[status] || status);
}

/** The browser's time zone as an offset: "UTC", "UTC+02:00", "UTC-05:30" (at the instant `d`). */
export function zoneOf(d = new Date()) {
  const off = -d.getTimezoneOffset();
  if (off === 0) {
    return 'UTC';
  }
  const a = Math.abs(off);
  return `UTC${off > 0 ? '+' : '-'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

const pad2 = (n) => String(n).padStart(2, '0');

/** "12:00:03" on a 24-hour clock, local time (no AM/PM, whatever the browser's language). */
export function clock(d = new Date()) {
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** "12:00:03 UTC+01:00": a moment of the page itself (e.g. when it last updated). */
export function clockWithZone(d = new Date()) {
  return `${clock(d)} ${zoneOf(d)}`;
}

/** "2026-05-01 12:00:03 UTC+01:00" in local time on a 24-hour clock, inside a <time> with the exact instant. */
export function timeEl(iso) {
  if (!iso) {
    return h('span', { class: 'muted' }, '—');
  }
  const d = new Date(iso);
  const text = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${clock(d)}`;
  return h('time', { datetime: iso, title: iso }, text, ' ', h('span', { class: 'zone' }, zoneOf(d)));
}

/**
 * One label per provider, distinct even when specs share a display name (an operator spec that `extends` a shipped
 * one inherits its displayName): those get their name added, "Claude Code (claude-work)". Returns name -> label.
 */
export function providerLabels(providers) {
  const seen = new Map();
  providers.forEach((p) => {
    const d = p.displayName || p.name;
    seen.set(d, (seen.get(d) || 0) + 1);
  });
  return new Map(providers.map((p) => {
    const d = p.displayName || p.name;
    return [p.name, seen.get(d) > 1 && d !== p.name ? `${d} (${p.name})` : d];
  }));
}

/** 754 ms, 12.3 s, 4 min 05 s, 1 h 02 min. */
export function duration(ms) {
  if (ms < 1000) {
    return `${Math.max(0, Math.round(ms))} ms`;
  }
  const s = ms / 1000;
  if (s < 60) {
    return `${s.toFixed(1)} s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  }
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
