#!/usr/bin/env node
// Talks to a qemu QMP monitor or QEMU guest agent socket for snapshot/boot.sh and prove.sh (Node.js, no packages).
//   qmp.js qmp SOCK JSON            one QMP command; prints its "return" as JSON
//   qmp.js migrate-wait SOCK SECS   polls query-migrate until completed (exit 1 on failed / timeout)
//   qmp.js status-wait SOCK SECS    polls query-status until the VM has left "inmigrate"
//   qmp.js qga-wait SOCK SECS       retries guest-sync until the guest agent answers
//   qmp.js qga-exec SOCK SECS PATH [ARG...]   guest-exec with this process's stdin as the program's stdin
//                                   (secrets go there, never on argv); prints its stdout, exits with its code
//   qmp.js qga-set-time SOCK        sets the guest clock to the host's (a restored clone wakes with the snapshot's time)
'use strict';
const net = require('net');
const fs = require('fs');

function session(sock) {
  const c = net.createConnection(sock);
  let buf = Buffer.alloc(0);
  const waiters = [];
  c.on('data', d => { buf = Buffer.concat([buf, d]); pump(); });
  c.on('error', e => waiters.splice(0).forEach(w => w.reject(e)));
  c.on('close', () => waiters.splice(0).forEach(w => w.reject(new Error('socket closed'))));
  function pump() {
    while (waiters.length) {
      const ff = buf.lastIndexOf(0xff); // guest-sync-delimited answers after a 0xFF; drop stale bytes before it
      if (ff >= 0) buf = buf.subarray(ff + 1);
      const nl = buf.indexOf(0x0a);
      if (nl < 0) return;
      const line = buf.subarray(0, nl).toString().trim();
      buf = buf.subarray(nl + 1);
      if (!line) continue;
      let msg;
      try { msg = JSON.parse(line); } catch (e) { continue; }
      if (msg.event) continue;
      waiters.shift().resolve(msg);
    }
  }
  const next = () => new Promise((resolve, reject) => { waiters.push({resolve, reject}); pump(); });
  const send = async obj => {
    c.write(JSON.stringify(obj) + '\n');
    const m = await next();
    if (m.error) throw new Error(`${obj.execute}: ${m.error.class}: ${m.error.desc}`);
    return m.return;
  };
  return {c, next, send, close: () => c.destroy()};
}

async function qmp(sock) {
  const s = session(sock);
  await s.next(); // greeting
  await s.send({execute: 'qmp_capabilities'});
  return s;
}

async function qga(sock, ms = 30000) {
  // A late answer to an earlier client's guest-sync can still be queued in the channel: skip answers until ours.
  const s = session(sock);
  const id = Math.floor(Math.random() * 2 ** 31);
  try {
    await withTimeout((async () => {
      // The 0xFF that resets the agent's parser is itself answered with a "stray" parse error: skip it too.
      s.c.write(Buffer.from([0xff]));
      s.c.write(JSON.stringify({execute: 'guest-sync-delimited', arguments: {id}}) + '\n');
      while ((await s.next()).return !== id) { /* stale or error answer */ }
    })(), ms, 'guest-sync');
  } catch (e) {
    s.close();
    throw e;
  }
  return s;
}

const sleep = ms => new Promise(r => setTimeout(r, ms));
function deadline(secs) { const t = Date.now() + secs * 1000; return () => Date.now() > t; }
function withTimeout(p, ms, what) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(what + ' timed out')), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer)); // a pending timer would delay the exit
}

async function main() {
  const [cmd, sock, ...rest] = process.argv.slice(2);
  if (cmd === 'qmp') {
    const s = await qmp(sock);
    console.log(JSON.stringify(await s.send(JSON.parse(rest[0]))));
    s.close();
  } else if (cmd === 'migrate-wait') {
    const late = deadline(Number(rest[0] || 600));
    const s = await qmp(sock);
    for (;;) {
      const r = await s.send({execute: 'query-migrate'});
      if (r.status === 'completed') { console.log(JSON.stringify({status: r.status, ram: r.ram})); break; }
      if (r.status === 'failed' || r.status === 'cancelled') throw new Error('migration ' + r.status + ': ' + (r['error-desc'] || ''));
      if (late()) throw new Error('migration still ' + r.status);
      await sleep(200);
    }
    s.close();
  } else if (cmd === 'status-wait') {
    // After migrate-incoming: wait until the VM has left "inmigrate" (it is then paused, ready for "cont").
    const late = deadline(Number(rest[0] || 600));
    const s = await qmp(sock);
    for (;;) {
      const r = await s.send({execute: 'query-status'});
      if (r.status !== 'inmigrate') { console.log(JSON.stringify(r)); break; }
      if (late()) throw new Error('VM still ' + r.status);
      await sleep(100);
    }
    s.close();
  } else if (cmd === 'qga-wait') {
    const late = deadline(Number(rest[0] || 300));
    for (;;) {
      try { (await qga(sock, 10000)).close(); return; } catch (e) {
        if (late()) throw new Error('guest agent did not answer: ' + e.message);
        await sleep(500);
      }
    }
  } else if (cmd === 'qga-exec') {
    const [secs, path, ...args] = rest;
    const late = deadline(Number(secs));
    const input = process.stdin.isTTY ? '' : fs.readFileSync(0);
    const s = await qga(sock);
    const {pid} = await s.send({execute: 'guest-exec', arguments: {path, arg: args, 'capture-output': true,
      'input-data': Buffer.from(input).toString('base64')}});
    for (;;) {
      const st = await s.send({execute: 'guest-exec-status', arguments: {pid}});
      if (st.exited) {
        // writeSync: process.exit would cut off an asynchronous write to a pipe
        if (st['out-data']) fs.writeSync(1, Buffer.from(st['out-data'], 'base64'));
        if (st['err-data']) fs.writeSync(2, Buffer.from(st['err-data'], 'base64'));
        s.close();
        if (st.exitcode !== 0) fs.writeSync(2, `qmp.js: ${path} exited with ${st.exitcode ?? 'signal ' + st.signal}\n`);
        process.exit(st.exitcode === undefined ? 1 : st.exitcode);
      }
      if (late()) throw new Error(path + ' still running in the guest');
      await sleep(100);
    }
  } else if (cmd === 'qga-set-time') {
    const s = await qga(sock);
    await s.send({execute: 'guest-set-time', arguments: {time: Date.now() * 1e6}});
    s.close();
  } else {
    console.error('usage: see the header of ' + __filename);
    process.exit(2);
  }
}
main().catch(e => { console.error('qmp.js: ' + e.message); process.exit(1); });
