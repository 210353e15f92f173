// The exec agent's own code: a tiny Node program, a long-lived sandbox's main process, that runs commands sent on stdin.

/** Largest request line the agent accepts; longer ones are dropped unbuffered (the kernel refuses to send them). */
export const AGENT_MAX_REQUEST_BYTES = 48 * 1024 * 1024;

/**
 * Runs inside the sandbox as `node -e AGENT_SOURCE`. The kernel's first line is `key <64 hex>`: a fresh per-sandbox
 * HMAC key, sent before any command exists and then kept only in this process's memory (not argv, env or a file).
 * Every later line is `<hex HMAC> <json>` in both directions (domain-separated), so a command that opens the agent's
 * stdin or stdout through /proc/<pid>/fd cannot forge a request or a reply. Request ids must increase (no replay).
 * Replies start with a newline: it ends whatever a command may have written into stdout without one.
 * Lines before the key are ignored: Podman's attach forwards its own request body into stdin first.
 */
export const AGENT_SOURCE = String.raw`
const { spawn } = require('child_process'); const fs = require('fs'); const crypto = require('crypto');
const MAXIN = ${AGENT_MAX_REQUEST_BYTES}; let key = null, lastId = 0;
const mac = (dom, s) => crypto.createHmac('sha256', key).update(dom).update(s).digest();
const out = (m) => { const s = JSON.stringify(m); process.stdout.write('\n' + mac('airlock-agent-reply\n', s).toString('hex') + ' ' + s + '\n'); };
const oomKills = () => { for (const f of ['/sys/fs/cgroup/memory/memory.oom_control', '/sys/fs/cgroup/memory.events']) {
  try { const m = /oom_kill (\d+)/.exec(fs.readFileSync(f, 'utf8')); if (m) return Number(m[1]); } catch {} } return -1; };
let running = 0, ended = false; const kills = new Map();
function run(r) {
  running++;
  const max = r.maxOutput || 1048576; const started = process.hrtime.bigint(); const oom0 = oomKills();
  const bufs = { stdout: [], stderr: [] }; const size = { stdout: 0, stderr: 0 }; let truncated = false, timedOut = false, finished = false, p;
  const done = (code, signal, error) => { if (finished) return; finished = true; running--; kills.delete(r.id); out({ t: 'result', id: r.id, exitCode: code, signal, error,
    stdout: Buffer.concat(bufs.stdout).toString('base64'), stderr: Buffer.concat(bufs.stderr).toString('base64'), truncated, timedOut,
    oomKilled: oom0 >= 0 && oomKills() > oom0, durationMs: Number(process.hrtime.bigint() - started) / 1e6 }); if (ended && !running) process.stdout.end(() => process.exit(0)); };
  try { p = spawn(r.argv[0], r.argv.slice(1), { cwd: r.cwd, env: { ...process.env, ...r.env }, detached: true, stdio: ['pipe', 'pipe', 'pipe'] }); }
  catch (e) { return done(null, null, String(e.code || e.message)); }
  for (const k of ['stdout', 'stderr']) p[k].on('data', (b) => { if (size[k] + b.length > max) { truncated = true; b = b.subarray(0, Math.max(0, max - size[k])); } size[k] += b.length; bufs[k].push(b); });
  p.stdin.on('error', () => {}); p.stdin.end(r.stdin ? Buffer.from(r.stdin, 'base64') : undefined);
  // Kill the whole process group, again until it is empty: a fork bomb's children may fork while we kill.
  const killGroup = (n = 0) => { try { process.kill(-p.pid, 'SIGKILL'); if (n < 200) setTimeout(killGroup, 5, n + 1); } catch {} };
  kills.set(r.id, () => killGroup());
  const timer = r.timeoutMs ? setTimeout(() => { timedOut = true; killGroup(); }, r.timeoutMs) : undefined;
  // After exit, a process that left the group (setsid) may hold the pipes open: answer anyway after a moment.
  let exit; p.on('exit', (code, signal) => { exit = [code, signal]; clearTimeout(timer); killGroup();
    setTimeout(() => { p.stdout.destroy(); p.stderr.destroy(); done(code, signal); }, 2000); });
  p.on('error', (e) => { clearTimeout(timer); if (!exit) { exit = [null, null]; done(null, null, String(e.code || e.message)); } });
  p.on('close', () => { if (exit && p.pid) done(exit[0], exit[1]); });
}
function line(l) {
  if (key === null) { const m = /^key ([0-9a-f]{64})$/.exec(l); if (m) { key = Buffer.from(m[1], 'hex'); out({ t: 'ready', pid: process.pid, oom: oomKills() }); } return; }
  if (l.length < 66 || l[64] !== ' ') return;
  const got = Buffer.from(l.slice(0, 64), 'hex'), body = l.slice(65);
  if (got.length !== 32 || !crypto.timingSafeEqual(got, mac('airlock-agent-request\n', body))) return;
  let r; try { r = JSON.parse(body); } catch { return; }
  if (r && typeof r.id === 'number' && r.id > lastId && Array.isArray(r.argv) && r.argv.length) { lastId = r.id; run(r); }
  else if (r && typeof r.kill === 'number' && kills.has(r.kill)) kills.get(r.kill)();
}
// Lines over MAXIN are dropped without being buffered: a command flooding our stdin cannot grow this process.
let chunks = [], held = 0, skip = false;
process.stdin.on('data', (d) => { let s = 0; for (;;) { const i = d.indexOf(10, s);
  if (i < 0) { if (!skip && held + d.length - s > MAXIN) { chunks = []; held = 0; skip = true; } if (!skip) { chunks.push(d.subarray(s)); held += d.length - s; } return; }
  const ok = !skip && held + i - s <= MAXIN; if (ok) chunks.push(d.subarray(s, i)); const l = ok ? Buffer.concat(chunks).toString('utf8') : '';
  chunks = []; held = 0; skip = false; s = i + 1; if (ok) line(l); } });
process.stdin.on('end', () => { ended = true; if (!running) process.exit(0); });
`;
