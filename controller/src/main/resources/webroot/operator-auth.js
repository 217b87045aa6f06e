// The operator token the operators' pages share: kept in sessionStorage (this tab only), asked for by the page's
// sign-in form (#token-form, #op-token, #token-error, #sign-out; views #login, #list, #detail), dropped when the
// API refuses it.
import { api } from './common.js';

const TOKEN_KEY = 'loginrelay.operatorToken';
/** What a page says when the API refuses the token. */
export const TOKEN_REFUSED = 'That token was not accepted. Check the operator token and try again.';
const $ = (id) => document.getElementById(id);

/**
 * Wires the sign-in form to `state.token`. `route()` draws the page for the token; `onSignOut()` stops what the page
 * runs live. Answers `showOnly(view)`, `signOut(message)` and `opApi(method, path)`, the operator API with the token.
 */
export function operatorAuth(state, { route, onSignOut = () => {} }) {
  state.token = sessionStorage.getItem(TOKEN_KEY);

  function showOnly(id) {
    ['login', 'list', 'detail'].forEach((s) => { $(s).hidden = s !== id; });
    $('sign-out').hidden = id === 'login';
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    onSignOut();
    showOnly('login');
    const err = $('token-error');
    err.textContent = message || '';
    err.hidden = !message;
    $('op-token').setAttribute('aria-invalid', message ? 'true' : 'false');
    $('op-token').focus();
  }

  function signIn(e) {
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
        signOut(TOKEN_REFUSED);
      }
      throw e;
    }
  }

  $('token-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => signOut());
  return { showOnly, signOut, opApi };
}
