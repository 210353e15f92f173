// Real engines: a command cannot reach its own exec agent's channel. tini (PID 1) and the agent run from execute-only
// binaries, so they are not dumpable: a command of the same uid (root without capabilities included) cannot open
// their /proc/<pid>/fd/* (the attached stream the kernel reads) or /proc/<pid>/mem (the agent's HMAC key). What the
// kernel does with hostile lines anyway is covered by test/unit/runtime/exec-agent-attacks.test.ts.
import * as assert from 'node:assert/strict';
import { createRuntime } from '../../../kernel/src/runtime/detect';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { loadTemplates } from '../../../core/src/templates';
import { ensureSandboxImages } from '../../../templates/builder/sandbox-images';
import { AGENT_PROBE as PROBE } from './escape-suite';

const SOCKETS = { docker: '/var/run/docker.sock', podman: '/run/podman/podman.sock' } as const;

for (const engine of ['docker', 'podman'] as const) {
  describe(`exec agent channel on ${engine}`, function () {
    this.timeout(240_000);
    before(async () => {
      await ensureSandboxImages({ engine, socketPath: SOCKETS[engine] });
    });

    for (const user of ['the workspace user (root here)', '1000:1000']) {
      it(`a command running as ${user} cannot open its init's or agent's fds or memory`, async () => {
        const m = new SandboxManager({
          runtime: createRuntime(engine),
          templates: loadTemplates(undefined, user.includes(':') ? user : undefined),
        });
        try {
          const { id } = await m.create({ template: 'code-executor' });
          const r = await m.exec(id, { argv: ['node', '-e', PROBE] });
          const seen = JSON.parse(r.stdout || '{}') as Record<'init' | 'agent', Record<string, string>>;
          process.stdout.write(`      ${engine} as ${user}: ${JSON.stringify(seen)}\n`);
          assert.ok(seen.init && seen.agent, `found init and agent: ${r.stdout} ${r.stderr}`);
          for (const who of ['init', 'agent'] as const) {
            for (const [f, got] of Object.entries(seen[who])) assert.equal(got, 'EACCES', `${who} ${f}`);
          }
          assert.equal((await m.exec(id, { argv: ['echo', 'still serving'] })).stdout, 'still serving\n');
        } finally {
          await m.shutdown();
        }
      });
    }
  });
}
