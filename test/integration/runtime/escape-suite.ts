// The escape attempts a code-executor must contain, shared by every engine and OCI runtime (sandbox.test.ts, runsc.test.ts).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import type { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { LABEL } from '../../../kernel/src/runtime/types';

/** For PID 1 and every process running the exec agent: what opening its fds and memory gave (a code, or "open"). */
export const AGENT_PROBE = `const fs=require('fs');const out={};
for(const p of fs.readdirSync('/proc').filter(x=>/^\\d+$/.test(x))){let c='';try{c=fs.readFileSync('/proc/'+p+'/cmdline','utf8')}catch(e){c=''}
  if(p===String(process.pid)||(p!=='1'&&!c.includes('airlock-agent-request')))continue;const r={};
  for(const [f,mode] of [['fd/0','r'],['fd/1','w'],['fd/2','w'],['mem','r']]){try{fs.closeSync(fs.openSync('/proc/'+p+'/'+f,mode));r[f]='open'}catch(e){r[f]=e.code}}
  out[p==='1'?'init':'agent']=r}
process.stdout.write(JSON.stringify(out))`;

export interface EscapeBed {
  m: SandboxManager;
  /** The host workspace the sandbox mounts read-only; README.md holds "original\n". */
  ws: string;
}

/** Registers the escape tests inside the caller's describe; `bed` is read once the caller's before() has run. Where
 * gVisor (runsc) contains an attempt differently, the runsc branch asserts what it does instead (docs/sandboxes.md). */
export function escapeAttempts(bed: () => EscapeBed, runtime: 'runc' | 'runsc' = 'runc'): void {
  const gvisor = runtime === 'runsc';
  describe(`escape attempts from a code-executor (${runtime})`, () => {
    let id: string;
    before(async () => {
      id = (await bed().m.create({ template: 'code-executor' })).id;
    });
    const sh = (script: string, timeoutMs?: number) => bed().m.exec(id, { argv: ['sh', '-c', script], timeoutMs });

    it('cannot write the workspace (EROFS) and the host file is unchanged', async () => {
      const r = await sh('cat /workspace/README.md && echo evil > /workspace/README.md');
      assert.equal(r.stdout, 'original\n');
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stderr, /Read-only file system/);
      assert.equal(fs.readFileSync(path.join(bed().ws, 'README.md'), 'utf8'), 'original\n');
    });

    it('cannot write outside its tmpfs, but can write in it', async () => {
      for (const p of ['/etc/evil', '/usr/local/bin/evil', '/evil']) {
        const r = await sh(`echo x > ${p}`);
        // gVisor checks the non-root user's permission before the read-only mount: EACCES instead of EROFS.
        assert.match(r.stderr, gvisor ? /Read-only file system|Permission denied/ : /Read-only file system/, p);
        assert.notEqual(r.exitCode, 0, p);
      }
      assert.equal((await sh('echo ok > /tmp/f && cat /tmp/f')).stdout, 'ok\n');
    });

    if (gvisor) {
      // runsc's ptrace platform needs a host process per guest address space: at the pids limit its Sentry panics
      // ("creating stub process: resource temporarily unavailable"), and at the memory limit the engine OOM-kills it.
      // The limit holds, the host and the kernel carry on, but the whole sandbox dies, not just the bomb.
      for (const [what, argv] of [
        ['fork bomb', ['sh', '-c', 'f(){ f & f & wait; }; f']],
        ['memory bomb', ['node', '-e', 'const a=[];for(;;)a.push(Buffer.alloc(1<<20).fill(1))']],
      ] as const) {
        it(`a ${what} is stopped at the limit by ending its whole sandbox; a new sandbox works`, async () => {
          const m = bed().m;
          const own = (await m.create({ template: 'code-executor' })).id;
          await assert.rejects(
            m.exec(own, { argv: [...argv], timeoutMs: 60_000 }),
            (e: { code?: string }) => e.code === 'SANDBOX_AGENT_GONE',
          );
          assert.equal(m.info(own).state, 'failed');
          const next = (await m.create({ template: 'code-executor' })).id;
          assert.equal((await m.exec(next, { argv: ['echo', 'alive'] })).stdout, 'alive\n');
          await m.destroy(next);
        });
      }
    } else {
      it('a fork bomb hits the pids limit and the sandbox survives', async () => {
        const r = await sh('f(){ f & f & wait; }; f', 5000);
        assert.match(r.stderr, /Cannot fork|Resource temporarily unavailable/);
        assert.equal((await bed().m.exec(id, { argv: ['echo', 'alive'] })).stdout, 'alive\n');
        // Nothing of the bomb is left: the agent, node's threads and this shell only.
        const left = await sh('cat /sys/fs/cgroup/pids/pids.current 2>/dev/null || cat /sys/fs/cgroup/pids.current');
        assert.ok(Number(left.stdout) < 20, `pids left: ${left.stdout}`);
      });

      it('a memory bomb is OOM-killed and reported; the kernel and the sandbox carry on', async () => {
        const r = await bed().m.exec(id, {
          argv: ['node', '-e', 'const a=[];for(;;)a.push(Buffer.alloc(1<<20).fill(1))'],
          timeoutMs: 60_000,
        });
        assert.equal(r.oomKilled, true);
        assert.equal(r.signal, 'SIGKILL');
        assert.equal(bed().m.info(id).state, 'ready');
        assert.equal((await bed().m.exec(id, { argv: ['echo', 'alive'] })).stdout, 'alive\n');
      });
    }

    it('has no network: only loopback exists and an outbound socket is refused', async () => {
      const ifaces = await sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
      assert.equal(ifaces.stdout.trim(), 'lo');
      const r = await bed().m.exec(id, {
        argv: [
          'node',
          '-e',
          'require("net").connect(53,"1.1.1.1").on("error",e=>process.stdout.write(e.code)).on("connect",()=>process.stdout.write("CONNECTED"))',
        ],
      });
      assert.match(r.stdout, /^(EPERM|ENETUNREACH|EHOSTUNREACH|EACCES)$/);
    });

    const perl =
      'for my $c (["ptrace",101,0,0,0,0],["keyctl",250,0,-3,0],["bpf",321,0,0,0],["unshare",272,0x10000000],["mount",165,0,0,0,0]) ' +
      '{ my ($name,$n,@a)=@$c; my $r=syscall($n,@a); print "$name=$r/".($!+0)."\\n"; }';
    if (gvisor) {
      it("syscalls reach gVisor's Sentry: bpf, mount and keyctl fail; ptrace and unshare are its own emulation", async () => {
        // The template's seccomp profile is not applied inside gVisor (runsc --oci-seccomp makes node abort with it in
        // this runsc release); the Sentry implements these calls itself and runs under gVisor's own host filter.
        const r = await bed().m.exec(id, { argv: ['perl', '-e', perl] });
        assert.equal(r.stdout, 'ptrace=0/0\nkeyctl=-1/13\nbpf=-1/1\nunshare=0/1\nmount=-1/1\n');
      });
    } else {
      it('forbidden syscalls fail with EPERM (ptrace, keyctl, bpf, unshare, mount)', async () => {
        // Without the profile, ptrace(TRACEME) and keyctl(GET_KEYRING_ID) succeed for any user: EPERM here is seccomp.
        const r = await bed().m.exec(id, { argv: ['perl', '-e', perl] });
        assert.equal(r.stdout, 'ptrace=-1/1\nkeyctl=-1/1\nbpf=-1/1\nunshare=-1/1\nmount=-1/1\n');
        assert.match((await sh('unshare -U true')).stderr, /Operation not permitted/);
      });
    }

    const probe = async () => {
      const r = await bed().m.exec(id, { argv: ['node', '-e', AGENT_PROBE] });
      const seen = JSON.parse(r.stdout || '{}') as Record<'init' | 'agent', Record<string, string>>;
      assert.ok(seen.init && seen.agent, `found init and agent: ${r.stdout} ${r.stderr}`);
      return seen;
    };
    if (gvisor) {
      it("the exec agent's key stays out of reach (memory: EACCES); lines forged into its stream are not believed", async () => {
        // gVisor has no "not dumpable when started from an unreadable file" (google/gvisor#160) and cannot start our
        // execute-only binaries, so init's and the agent's fds open, as with a template's own image (docs/sandboxes.md).
        const seen = await probe();
        for (const who of ['init', 'agent'] as const) assert.equal(seen[who].mem, 'EACCES', `${who} mem: ${JSON.stringify(seen)}`);
        const fake = `{"t":"result","id":99,"exitCode":0,"signal":null,"stdout":"","stderr":"","truncated":false,"timedOut":false}`;
        const forged = await sh(`printf '\\n%064d %s\\n' 0 '${fake}' > /proc/1/fd/1 && echo written`);
        assert.equal(forged.stdout, 'written\n', `the forged line reached the stream the kernel reads: ${forged.stderr}`);
        const next = await bed().m.exec(id, { argv: ['sh', '-c', 'echo $((6*7)); exit 3'] });
        assert.deepEqual([next.stdout, next.exitCode], ['42\n', 3]);
      });
    } else {
      it("a command cannot open its init's or exec agent's fds or memory (the channel the kernel trusts)", async () => {
        const seen = await probe();
        for (const who of ['init', 'agent'] as const) {
          for (const [f, got] of Object.entries(seen[who])) assert.equal(got, 'EACCES', `${who} ${f}: ${JSON.stringify(seen)}`);
        }
      });
    }

    it('runs as a non-root user with no capabilities', async () => {
      const r = await sh("id -u; grep CapEff /proc/self/status | tr -d '\\t'");
      assert.equal(r.stdout, '1000\nCapEff:0000000000000000\n');
    });
  });
}

/** Patch mode's output volume: an overlay volume replaces the workspace at /workspace, writable, the workspace untouched. */
export function patchModeOutput(bed: () => EscapeBed): void {
  it('patch mode: an overlay volume replaces the workspace at /workspace, writable, the workspace untouched', async () => {
    const { m, ws } = bed();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-out-'));
    fs.mkdirSync(path.join(out, 'upper'));
    fs.mkdirSync(path.join(out, 'work'));
    // The sandbox user edits files it owns, as a person edits their own workspace.
    fs.chownSync(path.join(out, 'upper'), 1000, 1000);
    fs.chownSync(path.join(ws, 'README.md'), 1000, 1000);
    const vol = `airlock-test-overlay-${Date.now()}`;
    await m.runtime.createVolume(
      vol,
      { [LABEL.owner]: 'airlock', [LABEL.session]: m.session, [LABEL.holder]: m.holder },
      { type: 'overlay', device: 'overlay', o: `lowerdir=${ws},upperdir=${out}/upper,workdir=${out}/work` },
    );
    try {
      const s = await m.create({
        template: 'code-executor',
        mounts: [{ type: 'volume', source: vol, target: '/workspace', readOnly: false }],
      });
      const r = await m.exec(s.id, {
        argv: ['sh', '-c', 'echo changed > /workspace/README.md && echo new > /workspace/NEW && cat /workspace/README.md'],
      });
      assert.equal(r.stdout, 'changed\n', r.stderr);
      await m.destroy(s.id);
      assert.equal(fs.readFileSync(path.join(ws, 'README.md'), 'utf8'), 'original\n');
      assert.equal(fs.readFileSync(path.join(out, 'upper', 'NEW'), 'utf8'), 'new\n');
    } finally {
      for (const s of m.list().filter((x) => x.mounts.some((mt) => mt.source === vol))) await m.destroy(s.id);
      await m.runtime.removeVolume(vol);
      fs.rmSync(out, { recursive: true, force: true });
    }
    await assert.rejects(
      m.create({ template: 'code-executor', mounts: [{ type: 'bind', source: ws, target: '/w', readOnly: false }] }),
      /must be read-only/,
    );
  });
}
