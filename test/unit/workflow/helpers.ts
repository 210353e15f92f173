// Test helpers: a temp project whose tests really run (mocha or node:test), and a runner replaying real outputs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditLog } from '../../../core/src/audit/log';
import { LocalTestRunner, type ITestRunner, type TestRunResult } from '../../../kernel/src/workflow/test-runner';

export const MOCHA_BIN = path.resolve(__dirname, '../../../node_modules/.bin/mocha');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `airlock-${prefix}-`));
}

/** A real audit log in a temp dir (inline writer), as the workflow service's `audit` source. */
export function testAudit(dir = tempDir('wf-audit')): { log: AuditLog; audit: () => AuditLog } {
  const log = AuditLog.open({ dbPath: path.join(dir, 'audit.db'), keyPath: path.join(dir, 'keys', 'audit.key'), writer: 'inline' });
  return { log, audit: () => log };
}

/** A tiny project: calc.js plus a test file; `setImpl` and `setTests` rewrite them like an agent would. */
export class TempProject {
  readonly dir = tempDir('proj');
  constructor(readonly kind: 'mocha' | 'node-test') {
    this.setImpl('exports.add = (a, b) => a + b;\n');
    this.setTests([['adds', 'calc.add(1, 2) === 3']]);
  }
  setImpl(src: string): void {
    fs.writeFileSync(path.join(this.dir, 'calc.js'), src);
  }
  /** Each test: [name, boolean expression]. */
  setTests(tests: Array<[string, string]>): void {
    const head = this.kind === 'mocha' ? '' : "const { describe, it } = require('node:test');\n";
    const body = tests.map(([n, e]) => `  it(${JSON.stringify(n)}, () => assert.ok(${e}));`).join('\n');
    fs.writeFileSync(
      path.join(this.dir, 'calc.test.js'),
      `${head}const assert = require('node:assert');\nconst calc = require('./calc');\ndescribe('calc', () => {\n${body}\n});\n`,
    );
  }
  runner(): LocalTestRunner {
    const command =
      this.kind === 'mocha'
        ? [process.execPath, MOCHA_BIN, 'calc.test.js']
        : [process.execPath, '--test', '--test-reporter=spec', 'calc.test.js'];
    return new LocalTestRunner({ cwd: this.dir, command, timeoutMs: 60_000 });
  }
  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Replays results captured from real runs; the test decides which one the next run returns. */
export class ReplayRunner implements ITestRunner {
  next: TestRunResult | undefined;
  runs = 0;
  async run(): Promise<TestRunResult> {
    this.runs++;
    if (!this.next) throw new Error('ReplayRunner: no result queued');
    return this.next;
  }
}
