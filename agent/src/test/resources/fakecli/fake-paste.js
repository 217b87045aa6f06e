#!/usr/bin/env node
// Fake of `claude auth login` (Claude Code 2.1.330 paste-code flow), or with FAKECLI_GEMINI=1 of Gemini CLI 0.61.0's
// paste flow, for the agent's tests. See README.md in this folder. It contacts no host and writes only under
// $HOME/.fakecli.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const VERSION = 'fakecli 1.0.0';
const env = process.env;
const GEMINI = env.FAKECLI_GEMINI === '1';
const CODE_OK = env.FAKECLI_CODE_OK || 'good-code';
const EMAIL = env.FAKECLI_EMAIL || 'fake.user@example.com';

function main(args) {
  if (args.some((a) => a === '--version' || a === '-V' || a === 'version')) {
    process.stdout.write(VERSION + '\n');
    return;
  }
  if (args.includes('status')) {
    status();
    return;
  }
  process.on('SIGTERM', () => process.exit(GEMINI ? 0 : 143)); // gemini's REPL exits 0 on SIGTERM
  process.on('SIGHUP', () => process.exit(129));
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    process.stderr.write('Error: stdout is not a terminal\n');
    process.exit(1);
  }
  if (!env.HOME) {
    process.stderr.write('Error: HOME is not set\n');
    process.exit(1);
  }
  readKeys();
  (GEMINI ? geminiFlow() : claudeFlow()).catch((e) => {
    process.stderr.write(`fakecli: ${e.stack}\n`);
    process.exit(2);
  });
}

function credFile(name) {
  return path.join(env.HOME || '/nonexistent', '.fakecli', name);
}

// Like `claude auth status`: JSON on stdout, rc 0 only when logged in. Gemini has no such command; same shape.
function status() {
  const file = credFile(GEMINI ? 'oauth_creds.json' : 'credentials.json');
  if (!fs.existsSync(file)) {
    process.stdout.write(JSON.stringify({ loggedIn: false }, null, 2) + '\n');
    process.exit(1);
  }
  const creds = JSON.parse(fs.readFileSync(file, 'utf8'));
  const plan = GEMINI ? undefined : creds.claudeAiOauth.subscriptionType;
  process.stdout.write(JSON.stringify({ loggedIn: true, authMethod: GEMINI ? 'oauth-personal' : 'claude.ai',
    email: GEMINI ? EMAIL : creds.email, subscriptionType: plan }, null, 2) + '\n');
  process.exit(0);
}

// ---- keyboard: raw mode, echo like the real CLIs (typed chars, then \r + \n -> "\r\r\n" through ONLCR) ----

const lines = [];
let waiting = null;
let current = '';
let lastWasCr = false;
let deaf = false;

function readKeys() {
  process.stdin.setRawMode(true);
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    for (const ch of chunk) {
      key(ch);
    }
  });
}

function key(ch) {
  const wasCr = lastWasCr;
  lastWasCr = ch === '\r';
  if (deaf || (ch === '\n' && wasCr)) {
    return; // CR LF is one Enter
  }
  if (ch === '\r' || ch === '\n') {
    write('\r\n');
    pushLine(current);
    current = '';
  } else if (ch === '\x03') {
    interrupt();
  } else if (ch === '\x04' && current === '' && !GEMINI) {
    write("\nInput ended before a code was pasted. Sign in again and paste the code shown.\n");
    process.exit(130);
  } else if (ch === '\x7f' || ch === '\b') {
    if (current) {
      current = current.slice(0, -1);
      write('\b \b');
    }
  } else if (ch >= ' ') {
    current += ch;
    write(ch);
  }
}

// Gemini at its code prompt prints a newline on Ctrl-C and then ignores every key until it is killed.
function interrupt() {
  if (GEMINI) {
    write('\n');
    deaf = true;
    return;
  }
  write('\x1b[?25h');
  process.exit(130);
}

function pushLine(line) {
  if (waiting) {
    const w = waiting;
    waiting = null;
    w(line);
  } else {
    lines.push(line);
  }
}

function nextLine() {
  return new Promise((resolve) => (lines.length ? resolve(lines.shift()) : (waiting = resolve)));
}

// ---- the two flows ----

async function claudeFlow() {
  const url = 'https://claude.example.test/oauth/authorize?code=true'
    + `&state=${random()}&code_challenge=${random()}`;
  write('Opening browser to sign in…\nIf the browser didn\'t open, visit:\n');
  write(`\x1b]8;;${url}\x07\x1b[94m${url}\x1b[39m\x1b]8;;\x07\n`);
  plant();
  for (;;) {
    write('Paste code here if prompted > ');
    const code = (await nextLine()).trim();
    const problem = claudeCodeProblem(code);
    if (problem) {
      write(problem + '\n');
      continue;
    }
    write('Signing in…\n');
    await sleep(50);
    if (code.split('#')[0] !== CODE_OK) {
      write("Couldn't log in: That code wasn't accepted. It may be incomplete, expired, already used, or from an "
        + 'earlier sign-in attempt. Sign in again to get a new code.\n\x1b[?25h');
      process.exit(1);
    }
    writeClaudeCredentials();
    write('Login successful.\n\x1b[?25h');
    process.exit(0);
  }
}

function claudeCodeProblem(code) {
  if (/^https?:\/\/(localhost|127\.0\.0\.1)[:/]/.test(code)) {
    return 'That address only works in a browser on this machine. Open the sign-in address shown above instead, '
      + 'and paste the code its last page shows.';
  }
  if (/^https?:\/\//.test(code)) {
    return 'That\'s a web address, not the code. If it\'s a sign-in link, open it in your browser. '
      + 'If the last page shows a code, paste it here.';
  }
  if (/^[0-9]{4,8}$/.test(code)) {
    return 'That looks like a verification code. Enter it in your browser, on the page that asks for it. '
      + 'If a page then shows a longer code, paste it here.';
  }
  return code.includes('#') ? null
    : 'That doesn\'t look like the full code. Copy all of it, including the # in the middle.';
}

async function geminiFlow() {
  write('\x1b[?1049h\x1b[2J\x1b[H');
  for (let failures = 0; ; failures++) {
    if (failures === 2) {
      write('\x1b[?1049lError authenticating: FatalAuthenticationError: Failed to authenticate with user code.\n');
      process.exit(41);
    }
    if (failures > 0) {
      write('\nFailed to authenticate with user code. Retrying...\n');
    }
    write(`Please visit the following URL to authorize the application:\n\n${geminiUrl()}\n\n`);
    plant();
    write('\x1b[1G\x1b[0JEnter the authorization code: ');
    const code = (await nextLine()).trim();
    if (!code) {
      write('Authorization code is required.\n');
      continue;
    }
    await sleep(50);
    if (code !== CODE_OK) {
      write('Failed to authenticate with authorization code:invalid_grant\n');
      continue;
    }
    writeGeminiCredentials();
    write('\x1b[?1049l\nSigned in with Google /auth\nPlan: Fake Code Assist for individuals\n\n> ');
    setInterval(() => {}, 1 << 30); // the REPL stays alive until it is killed
    return;
  }
}

function geminiUrl() {
  return 'https://accounts.example.test/o/oauth2/v2/auth?redirect_uri=https%3A%2F%2Fcodeassist.example.test%2Fauthcode'
    + '&access_type=offline&scope=https%3A%2F%2Fwww.example.test%2Fauth%2Fcloud-platform'
    + `&code_challenge_method=S256&code_challenge=${random()}&state=${crypto.randomBytes(32).toString('hex')}`
    + '&response_type=code&client_id=fake.apps.example.test';
}

// ---- credentials ----

function writeClaudeCredentials() {
  writePrivate(credFile('credentials.json'), {
    claudeAiOauth: {
      accessToken: accessToken(),
      refreshToken: 'fake-rt-' + crypto.randomBytes(16).toString('hex'),
      expiresAt: Date.now() + 8 * 3600 * 1000,
      scopes: ['user:inference', 'user:profile'],
      subscriptionType: env.FAKECLI_PLAN || 'max',
    },
    email: EMAIL,
  });
}

function writeGeminiCredentials() {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  writePrivate(credFile('oauth_creds.json'), {
    access_token: accessToken(),
    refresh_token: 'fake-rt-' + crypto.randomBytes(16).toString('hex'),
    scope: 'https://www.example.test/auth/cloud-platform',
    token_type: 'Bearer',
    id_token: `${part({ alg: 'none', typ: 'JWT' })}.${part({ email: EMAIL, email_verified: true })}.c2ln`,
    expiry_date: Date.now() + 3600 * 1000,
  });
  writePrivate(credFile('google_accounts.json'), { active: EMAIL, old: [] });
}

function accessToken() {
  return env.FAKECLI_PLANT || 'fake-at-' + crypto.randomBytes(16).toString('hex');
}

function writePrivate(file, obj) {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify(obj, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

// ---- helpers ----

function plant() {
  if (env.FAKECLI_PLANT) {
    write(`debug: access_token=${env.FAKECLI_PLANT}\n`);
  }
}

function random() {
  return crypto.randomBytes(32).toString('base64url');
}

function write(s) {
  process.stdout.write(s); // lines end in \n; the PTY's ONLCR makes them \r\n, as with the real CLIs
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main(process.argv.slice(2));
