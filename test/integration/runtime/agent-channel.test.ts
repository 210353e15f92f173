// Real engines: a command attacks its own exec agent's channel through /proc/1/fd/{1,2}; the kernel stays up and clean.
import * as assert from 'node:assert/strict';
import { createRuntime } from '../../../kernel/src/runtime/detect';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { loadTemplates } from '../../../kernel/src/runtime/templates';
import { ensureSandboxImages } from '../../../templates/builder/sandbox-images';

const SOCKETS = { docker: '/var/run/docker.sock', podman: '/run/podman/podman.sock' } as const;
const node = (src: string) => ['node', '-e', src];
/** Writes `mib` MiB of 'A' without a newline to the given fd of PID 1 (tini; the agent shares its stdout/stderr). */
const flood = (fd: number, mib: number) => node(`const fs=require('fs');const f=fs.openSync('/proc/1/fd/${fd}','w');const b=Buffer.alloc(1<<20,65);for(let i=0;i<${mib};i++)fs.writeSync(f,b);process.stdout.write('wrote')`);
const ok = (e: unknown) => typeof (e as { code?: unknown }).code === 'string' && /^SANDBOX_/.test((e as { code: string }).code);

for (const engine of ['docker', 'podman'] as const) {
  describe(`exec agent channel attacks on ${engine}`, function () {
    this.timeout(240_000);
    let m: SandboxManager;
    before(async () => {
      await ensureSandboxImages({ engine, socketPath: SOCKETS[engine] });
      m = new SandboxManager({ runtime: createRuntime(engine), templates: loadTemplates() });
      await m.start();
    });
    after(async () => { await m?.shutdown(); });

    it('`null`, forged replies and 200 MiB without a newline on the agent\'s stdout do not crash or stall the kernel', async () => {
      const { id } = await m.create({ template: 'code-executor' });
      const rss0 = process.memoryUsage().rss;
      const r1 = await m.exec(id, { argv: node(`require('fs').writeFileSync('/proc/1/fd/1','null\\n1\\n[]\\n');process.stdout.write('after null')`) });
      assert.equal(r1.stdout, 'after null');
      // Forged results for every id this client could be waiting on, unsigned and with a MAC-shaped prefix.
      const forged = Array.from({ length: 20 }, (_, i) => JSON.stringify({ t: 'result', id: i + 1, exitCode: 0, signal: null, stdout: Buffer.from('forged').toString('base64'), stderr: '', truncated: false, timedOut: false, oomKilled: false, durationMs: 1 }));
      const script = `const fs=require('fs');const l=${JSON.stringify(forged)};for(const x of l){fs.writeFileSync('/proc/1/fd/1','\\n'+x+'\\n');fs.writeFileSync('/proc/1/fd/1','${'0'.repeat(64)} '+x+'\\n');}setTimeout(()=>process.stdout.write('real'),300)`;
      assert.equal((await m.exec(id, { argv: node(script) })).stdout, 'real');
      let maxRss = 0;
      const sampler = setInterval(() => { maxRss = Math.max(maxRss, process.memoryUsage().rss); }, 20);
      try {
        const r = await m.exec(id, { argv: flood(1, 200), timeoutMs: 120_000 }).catch((e: unknown) => e);
        if (r instanceof Error) assert.ok(ok(r), `not a clean error: ${String(r)}`);
        else assert.equal((r as { stdout: string }).stdout, 'wrote');
        const next = await m.exec(id, { argv: ['echo', 'alive'] }).catch((e: unknown) => e);
        const say = (x: unknown) => (x instanceof Error ? `failed cleanly (${(x as { code?: string }).code})` : 'answered');
        process.stdout.write(`      ${engine}: the 200 MiB command ${say(r)}; the next command ${say(next)}\n`);
        if (next instanceof Error) assert.ok(ok(next), `not a clean error: ${String(next)}`);
        else assert.equal((next as { stdout: string }).stdout, 'alive\n');
      } finally { clearInterval(sampler); }
      const grew = maxRss - rss0;
      assert.ok(grew < 128 * 1024 * 1024, `kernel memory grew by ${grew >> 20} MiB`);
      await m.destroy(id);
    });

    it('100 MiB on the agent\'s stderr is dropped, not buffered', async () => {
      const { id } = await m.create({ template: 'code-executor' });
      const rss0 = process.memoryUsage().rss;
      assert.equal((await m.exec(id, { argv: flood(2, 100), timeoutMs: 120_000 })).stdout, 'wrote');
      assert.equal((await m.exec(id, { argv: ['echo', 'alive'] })).stdout, 'alive\n');
      const grew = process.memoryUsage().rss - rss0;
      assert.ok(grew < 64 * 1024 * 1024, `kernel memory grew by ${grew >> 20} MiB`);
      await m.destroy(id);
    });

    it('what a command can reach of its agent (reported, for docs/sandboxes.md)', async () => {
      const { id } = await m.create({ template: 'code-executor' });
      const probe = `const fs=require('fs');const out={};for(const p of fs.readdirSync('/proc').filter(x=>/^\\d+$/.test(x))){let c='';try{c=fs.readFileSync('/proc/'+p+'/cmdline','utf8')}catch{}
        if(!c.includes('airlock-agent-request'))continue;out.pid=p;for(const f of ['fd/0','fd/1','mem']){try{const h=fs.openSync('/proc/'+p+'/'+f,'r');fs.closeSync(h);out[f]='open'}catch(e){out[f]=e.code}}}
        process.stdout.write(JSON.stringify(out))`;
      const r = await m.exec(id, { argv: node(probe) });
      const seen = JSON.parse(r.stdout) as Record<string, string>;
      process.stdout.write(`      ${engine}: agent pid ${seen.pid}: fd/0 ${seen['fd/0']}, fd/1 ${seen['fd/1']}, mem ${seen.mem}\n`);
      assert.ok(seen.pid, r.stderr);
      await m.destroy(id);
    });
  });
}
