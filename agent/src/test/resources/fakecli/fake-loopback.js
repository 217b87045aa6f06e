#!/usr/bin/env node
// Fake of `codex login` (codex-cli 0.169.0 browser flow) for the agent's tests. See README.md in this folder.
// It listens on 127.0.0.1 only, contacts no other host and writes only under $HOME/.fakecli.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');

const VERSION = 'fakecli 1.0.0';
const env = process.env;

function main(args) {
  if (args.some((a) => a === '--version' || a === '-V' || a === 'version')) {
    process.stdout.write(VERSION + '\n');
    return;
  }
  if (args[0] === 'status' || (args[0] === 'login' && args[1] === 'status')) {
    status();
    return;
  }
  exitOnSignals();
  if (!process.stdout.isTTY) {
    process.stderr.write('Error: stdout is not a terminal\n');
    process.exit(1);
  }
  requireHome();
  startServer();
}

// codex prints both status lines to stderr and answers with the exit code.
function status() {
  if (fs.existsSync(authFile())) {
    process.stderr.write('Logged in using ChatGPT\n');
    process.exit(0);
  }
  process.stderr.write('Not logged in\n');
  process.exit(1);
}

function exitOnSignals() {
  process.on('SIGTERM', () => process.exit(143));
  process.on('SIGHUP', () => process.exit(129));
  process.on('SIGINT', () => process.exit(130));
}

function requireHome() {
  if (!env.HOME) {
    process.stderr.write('Error: HOME is not set\n');
    process.exit(1);
  }
}

function authFile() {
  return path.join(env.HOME || '/nonexistent', '.fakecli', 'auth.json');
}

function randomB64url() {
  return crypto.randomBytes(32).toString('base64url'); // 43 chars, like codex's state and PKCE challenge
}

function startServer() {
  const session = { state: randomB64url(), challenge: randomB64url(), port: 0 };
  const server = http.createServer((req, res) => handle(session, req, res));
  server.on('error', (e) => {
    if (e.code === 'EADDRINUSE') {
      fail(`Port 127.0.0.1:${env.FAKECLI_PORT} is already in use`);
    }
    fail(e.message);
  });
  server.listen(Number(env.FAKECLI_PORT || 0), '127.0.0.1', () => {
    session.port = server.address().port;
    printStart(session);
  });
}

function printStart(s) {
  const redirect = `http://127.0.0.1:${s.port}/auth/callback`;
  const url = 'https://auth.example.test/oauth/authorize?response_type=code&client_id=fake'
    + `&redirect_uri=${encodeURIComponent(redirect)}&code_challenge=${s.challenge}`
    + `&code_challenge_method=S256&state=${s.state}`;
  const coloured = `\x1b[94m${url}\x1b[0m`;
  const shown = env.FAKECLI_OSC8 === '1' ? `\x1b]8;;${url}\x07${coloured}\x1b]8;;\x07` : coloured;
  // Lines end in \n: the PTY's ONLCR turns them into \r\n, as with the real CLI.
  process.stdout.write(`Starting local login server on http://localhost:${s.port}.\n`
    + 'If your browser did not open, navigate to this URL to authenticate:\n\n'
    + `${shown}\n\n`
    + 'On a remote or headless machine? Use `codex login --device-auth` instead.\n');
  if (env.FAKECLI_PLANT) {
    process.stdout.write(`debug: access_token=${env.FAKECLI_PLANT}\n`);
  }
}

function handle(s, req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  switch (url.pathname) {
    case '/auth/callback':
      return callback(s, url.searchParams, res);
    case '/success':
      // The spoof trap: codex exits 0 here whether or not credentials were written.
      return reply(res, 200, html('Sign into Codex', 'You are signed in.'), () => done('Successfully logged in', 0));
    case '/cancel':
      return reply(res, 200, 'Login cancelled', () => fail('Login cancelled'));
    default:
      return reply(res, 404, 'Not Found');
  }
}

function callback(s, q, res) {
  if (q.get('state') !== s.state) {
    return reply(res, 400, 'State mismatch');
  }
  if (q.get('error')) {
    const why = `Sign-in failed: ${q.get('error_description') || q.get('error')}`;
    process.stderr.write(`OAuth callback error: ${why}\n`);
    return reply(res, 200, html('Codex Sign-in Error', why), () => fail(why));
  }
  const code = q.get('code');
  if (!code) {
    return reply(res, 400, 'Missing authorization code');
  }
  if (env.FAKECLI_CODE_OK && code !== env.FAKECLI_CODE_OK) {
    const why = 'Token exchange failed: token endpoint returned status 400 Bad Request: Invalid authorization code';
    process.stderr.write(`Token exchange error: ${why.slice('Token exchange failed: '.length)}\n`);
    return reply(res, 200, html('Sign-in could not be completed', 'token_exchange_failed'), () => fail(why));
  }
  const idToken = writeCredentials();
  const plan = env.FAKECLI_PLAN || 'plus';
  res.writeHead(302, {
    Location: `http://127.0.0.1:${s.port}/success?id_token=${idToken}&needs_setup=false`
      + `&org_id=org-fake&project_id=proj-fake&plan_type=${plan}`,
    Connection: 'close',
  });
  res.end(); // like codex: credentials are written, but the process waits for /success
}

function writeCredentials() {
  const idToken = jwt({
    iss: 'https://auth.example.test',
    aud: ['fake'],
    sub: 'user-fake',
    email: env.FAKECLI_EMAIL || 'fake.user@example.com',
    email_verified: true,
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 3600,
    'https://api.openai.com/auth': {
      chatgpt_plan_type: env.FAKECLI_PLAN || 'plus',
      chatgpt_account_id: 'acct-fake',
      chatgpt_user_id: 'user-fake',
    },
  });
  const tokens = {
    id_token: idToken,
    access_token: env.FAKECLI_PLANT || 'fake-at-' + crypto.randomBytes(16).toString('hex'),
    refresh_token: 'fake-rt-' + crypto.randomBytes(16).toString('hex'),
    account_id: 'acct-fake',
  };
  writePrivate(authFile(), { auth_mode: 'chatgpt', OPENAI_API_KEY: null, tokens, last_refresh: new Date() });
  return idToken;
}

// Unsigned JWT. The signature part is non-empty because real codex rejects `a.b.` ("invalid ID token format").
function jwt(claims) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.${Buffer.from('sig').toString('base64url')}`;
}

function writePrivate(file, obj) {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify(obj, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

function html(title, text) {
  return `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;
}

function reply(res, status, body, then) {
  const type = body.startsWith('<!doctype') ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8';
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  res.end(body, then);
}

function done(message, code) {
  process.stderr.write(message + '\n');
  process.exit(code);
}

function fail(message) {
  done(`Error logging in: ${message}`, 1);
}

main(process.argv.slice(2));
