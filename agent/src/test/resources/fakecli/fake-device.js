#!/usr/bin/env node
// Fake of `codex login --device-auth` (codex-cli 0.169.0 device-code flow) for the agent's tests. See README.md in
// this folder. It contacts no host and writes only under $HOME/.fakecli.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const VERSION = 'fakecli 1.0.0';
const env = process.env;
const POLL_MS = 100;
const EXPIRES_MS = 15 * 60 * 1000; // codex gives up after 15 minutes

function main(args) {
  if (args.some((a) => a === '--version' || a === '-V' || a === 'version')) {
    process.stdout.write(VERSION + '\n');
    return;
  }
  if (args[0] === 'status' || (args[0] === 'login' && args[1] === 'status')) {
    status();
    return;
  }
  process.on('SIGTERM', () => process.exit(143));
  process.on('SIGHUP', () => process.exit(129));
  process.on('SIGINT', () => process.exit(130));
  if (!process.stdout.isTTY) {
    process.stderr.write('Error: stdout is not a terminal\n');
    process.exit(1);
  }
  if (!env.HOME) {
    process.stderr.write('Error: HOME is not set\n');
    process.exit(1);
  }
  printPrompt();
  waitForApproval();
}

function authFile() {
  return path.join(env.HOME || '/nonexistent', '.fakecli', 'auth.json');
}

// Same as fake-loopback.js status: codex prints both lines to stderr.
function status() {
  const ok = fs.existsSync(authFile());
  process.stderr.write(ok ? 'Logged in using ChatGPT\n' : 'Not logged in\n');
  process.exit(ok ? 0 : 1);
}

function printPrompt() {
  const code = env.FAKECLI_USER_CODE || 'ABCD-12345';
  // Lines end in \n: the PTY's ONLCR turns them into \r\n, as with the real CLI.
  process.stdout.write('\nWelcome to Codex [v\x1b[90m1.0.0\x1b[0m]\n'
    + '\x1b[90mOpenAI\'s command-line coding agent\x1b[0m\n\n'
    + 'Follow these steps to sign in with ChatGPT using device code authorization:\n\n'
    + '1. Open this link in your browser and sign in to your account\n'
    + '   \x1b[94mhttps://auth.example.test/codex/device\x1b[0m\n\n'
    + '2. Enter this one-time code \x1b[90m(expires in 15 minutes)\x1b[0m\n'
    + `   \x1b[94m${code}\x1b[0m\n\n`
    + '\x1b[90mContinue only if you started this login in Codex. If a website or another person gave you this code, '
    + 'cancel.\x1b[0m\n\n');
  if (env.FAKECLI_PLANT) {
    process.stdout.write(`debug: access_token=${env.FAKECLI_PLANT}\n`);
  }
}

// Approval comes from a file a test creates (the user's click in the browser) or from a timer. The file is acted
// on only once it has been seen on two polls in a row, so a test that creates it and then writes "deny" is not
// read half-written.
function waitForApproval() {
  const started = Date.now();
  if (env.FAKECLI_APPROVE_AFTER_MS) {
    setTimeout(approve, Number(env.FAKECLI_APPROVE_AFTER_MS));
  }
  let seen = false;
  setInterval(() => {
    if (Date.now() - started > EXPIRES_MS) {
      fail('device auth timed out after 15 minutes');
    }
    const file = env.FAKECLI_APPROVE_FILE;
    if (!file || !fs.existsSync(file)) {
      return;
    }
    if (!seen) {
      seen = true;
      return;
    }
    if (fs.readFileSync(file, 'utf8').trim() === 'deny') {
      fail('device authorization was denied');
    }
    approve();
  }, POLL_MS);
}

function approve() {
  writeCredentials();
  process.stderr.write('Successfully logged in\n');
  process.exit(0);
}

function writeCredentials() {
  const now = Math.floor(Date.now() / 1000);
  const idToken = jwt({
    iss: 'https://auth.example.test',
    aud: ['fake'],
    sub: 'user-fake',
    email: env.FAKECLI_EMAIL || 'fake.user@example.com',
    email_verified: true,
    iat: now,
    exp: now + 3600,
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
  const file = authFile();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify({ auth_mode: 'chatgpt', OPENAI_API_KEY: null, tokens,
    last_refresh: new Date() }, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

// Unsigned JWT. The signature part is non-empty because real codex rejects `a.b.` ("invalid ID token format").
function jwt(claims) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.${Buffer.from('sig').toString('base64url')}`;
}

function fail(message) {
  process.stderr.write(`Error logging in: ${message}\n`);
  process.exit(1);
}

main(process.argv.slice(2));
