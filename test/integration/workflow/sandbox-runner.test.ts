// Real engines: strict mode's test guards run the project's tests in a code-executor sandbox (SandboxTestRunner).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AirlockError } from '../../../protocol/src/errors';
import { createRuntime } from '../../../kernel/src/runtime/detect';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { loadTemplates } from '../../../core/src/templates';
import { LABEL, type EngineKind } from '../../../kernel/src/runtime/types';
import { WorkflowService } from '../../../kernel/src/workflow/machine';
import { SandboxTestRunner } from '../../../kernel/src/workflow/sandbox-test-runner';
import { testAudit } from '../../unit/workflow/helpers';
import { ensureSandboxImages } from '../../../templates/builder/sandbox-images';

/** These tests model a workspace owned by uid 1000: bootstrap then runs the kernel and its sandboxes as 1000:1000. */
const WORKSPACE_USER = '1000:1000';

const SOCKETS: Record<EngineKind, string> = { docker: '/var/run/docker.sock', podman: '/run/podman/podman.sock' };
const sig = () => AbortSignal.timeout(60_000);
const refusedBy = (guard: string, text?: RegExp) => (e: AirlockError) =>
  e.code === 'WORKFLOW_GUARD_FAILED' && (e.details as { guard: string }).guard === guard && (!text || text.test(e.message));

/** A node:test project run through package.json scripts.test, as a person's project would be. */
function testFile(tests: Array<[string, string]>): string {
  const body = tests.map(([n, e]) => `  it(${JSON.stringify(n)}, () => assert.ok(${e}));`).join('\n');
  return `const { describe, it } = require('node:test');\nconst assert = require('node:assert');\nconst calc = require('./calc');\ndescribe('calc', () => {\n${body}\n});\n`;
}
const PKG = JSON.stringify({ name: 'calc', scripts: { test: 'node --test --test-reporter=spec' } });

for (const engine of ['docker', 'podman'] as const) {
  describe(`sandboxed test runs on ${engine}`, function () {
    this.timeout(120_000);
    let ws: string;
    let m: SandboxManager;
    const write = (f: string, text: string) => fs.writeFileSync(path.join(ws, f), text);

    before(async () => {
      await ensureSandboxImages({ engine, socketPath: SOCKETS[engine] });
      ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-proj-'));
      fs.chmodSync(ws, 0o755);
      m = new SandboxManager({ runtime: createRuntime(engine), templates: loadTemplates(undefined, WORKSPACE_USER), workspaceHost: ws });
    });
    beforeEach(() => {
      for (const f of fs.readdirSync(ws)) fs.rmSync(path.join(ws, f), { recursive: true, force: true });
      write('package.json', PKG);
      write('calc.js', 'exports.add = (a, b) => a + b;\n');
      write('calc.test.js', testFile([['adds', 'calc.add(1, 2) === 3']]));
    });
    after(async () => {
      await m?.shutdown();
      fs.rmSync(ws, { recursive: true, force: true });
    });

    it('strict red -> green: refused until a new test is seen failing, then only once that test passes', async () => {
      const wf = new WorkflowService({
        audit: testAudit().audit,
        dbPath: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-wf-')), 'wf.db'),
        runner: new SandboxTestRunner({ runtime: m }),
      });
      try {
        wf.create('s', 'strict');
        // The test does not fail first: no red.
        await assert.rejects(
          wf.transition('s', 'red', {}, 'agent', sig()),
          refusedBy('failingTestSeen', /no failing test in the sandbox run \(1 passed\)/),
        );
        write(
          'calc.test.js',
          testFile([
            ['adds', 'calc.add(1, 2) === 3'],
            ['subtracts', 'calc.sub(3, 1) === 2'],
          ]),
        );
        const red = await wf.transition('s', 'red', {}, 'agent', sig());
        assert.deepEqual([red.state, red.watchedTests], ['red', ['calc > subtracts']]);
        // Not implemented yet: no green.
        await assert.rejects(
          wf.transition('s', 'green', {}, 'agent', sig()),
          refusedBy('newTestsPass', /still not passing: calc > subtracts/),
        );
        write('calc.js', 'exports.add = (a, b) => a + b;\nexports.sub = (a, b) => a - b;\n');
        const green = await wf.transition('s', 'green', {}, 'agent', sig());
        assert.deepEqual([green.state, green.watchedTests], ['green', []]);
        const last = wf.history('s', 1)[0];
        assert.match(JSON.stringify(last.detail), /1 watched test\(s\) now pass, 2 passed in all/);
        assert.deepEqual(m.list(), [], "every run's sandbox is gone");
      } finally {
        wf.dispose();
      }
    });

    it('the workspace is read-only to the tests; the run reads an output volume when one is given', async () => {
      write(
        'calc.test.js',
        testFile([['writes', '(() => { try { require("fs").writeFileSync("x", "1"); return true; } catch (e) { return false; } })()']]),
      );
      const ro = await new SandboxTestRunner({ runtime: m }).run(sig());
      assert.deepEqual([ro.failed, ro.tests[0]?.name], [1, 'calc > writes']);
      assert.equal(fs.existsSync(path.join(ws, 'x')), false);
      // Patch mode's output volume: an overlay of the workspace holding the agent's edits (the workspace stays as it is).
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-out-'));
      fs.mkdirSync(path.join(out, 'upper'));
      fs.mkdirSync(path.join(out, 'work'));
      fs.chownSync(path.join(out, 'upper'), 1000, 1000);
      for (const f of fs.readdirSync(ws)) fs.chownSync(path.join(ws, f), 1000, 1000);
      const vol = `airlock-test-out-${Date.now()}`;
      await m.runtime.createVolume(
        vol,
        { [LABEL.owner]: 'airlock', [LABEL.session]: m.session, [LABEL.holder]: m.holder },
        { type: 'overlay', device: 'overlay', o: `lowerdir=${ws},upperdir=${out}/upper,workdir=${out}/work` },
      );
      try {
        const seed = await m.create({
          template: 'code-executor',
          mounts: [{ type: 'volume', source: vol, target: '/workspace', readOnly: false }],
        });
        const edited = testFile([
          ['writes', '(() => { require("fs").writeFileSync("x", "1"); return true; })()'],
          ['volume', 'true'],
        ]);
        const r = await m.exec(seed.id, {
          argv: ['node', '-e', `require('fs').writeFileSync('calc.test.js', ${JSON.stringify(edited)})`],
          cwd: '/workspace',
        });
        assert.equal(r.exitCode, 0, r.stderr);
        await m.destroy(seed.id);
        const runner = new SandboxTestRunner({ runtime: m });
        const sub = runner.setSessionVolume('sess', vol);
        const res = await runner.run(sig(), { sessionId: 'sess' });
        assert.deepEqual([res.passed, res.failed], [2, 0]);
        assert.equal(fs.existsSync(path.join(ws, 'x')), false, 'the workspace itself is untouched');
        sub.dispose();
        assert.equal(
          (await runner.run(sig(), { sessionId: 'sess' })).failed,
          1,
          'without the volume the read-only workspace is tested again',
        );
      } finally {
        for (const s of m.list()) await m.destroy(s.id);
        await m.runtime.removeVolume(vol);
        fs.rmSync(out, { recursive: true, force: true });
      }
    });

    it('cancel and deadline kill the run and its sandbox; a project without tests is refused clearly', async () => {
      write(
        'calc.test.js',
        testFile([
          ['hangs', 'true'],
          ['forever', '(() => { const end = Date.now() + 120000; while (Date.now() < end); return true; })()'],
        ]),
      );
      const ac = new AbortController();
      const runner = new SandboxTestRunner({ runtime: m });
      const p = runner.run(ac.signal);
      setTimeout(() => ac.abort(), 1500);
      const t0 = Date.now();
      await assert.rejects(p, (e: AirlockError) => e.code === 'CANCELLED' || /cancel/i.test(e.message));
      assert.ok(Date.now() - t0 < 10_000);
      assert.deepEqual(m.list(), []);
      await assert.rejects(
        new SandboxTestRunner({ runtime: m, timeoutMs: 2000 }).run(sig()),
        (e: AirlockError) => e.code === 'WORKFLOW_TEST_TIMEOUT',
      );
      assert.deepEqual(m.list(), []);
      fs.rmSync(path.join(ws, 'package.json'));
      fs.rmSync(path.join(ws, 'calc.test.js'));
      await assert.rejects(runner.run(sig()), (e: AirlockError) => e.code === 'WORKFLOW_NO_TESTS');
    });

    it('a run whose discovery crashed on a file renamed away runs once more; a run never readable fails closed', async () => {
      // The first run fails as node --test does when a file of the live workspace vanishes while it lists the project
      // (an editor's atomic save, a merge); the sandbox's /tmp remembers it, so the second run is the real one.
      const once = `if [ -e /tmp/ran ]; then node --test --test-reporter=spec; else touch /tmp/ran; echo "Could not find '/workspace/.calc.js.swp'"; exit 1; fi`;
      write('package.json', JSON.stringify({ name: 'calc', scripts: { test: once } }));
      const r = await new SandboxTestRunner({ runtime: m }).run(sig());
      assert.deepEqual([r.passed, r.failed, r.exitCode], [1, 0, 0]);
      write('package.json', JSON.stringify({ name: 'calc', scripts: { test: `echo "Could not find '/workspace/x'"; exit 1` } }));
      await assert.rejects(
        new SandboxTestRunner({ runtime: m }).run(sig()),
        (e: AirlockError) => e.code === 'WORKFLOW_TEST_OUTPUT_UNKNOWN',
      );
      assert.deepEqual(m.list(), []);
    });
  });
}
