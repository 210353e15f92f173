// docs/api.md and docs/errors.md are what the generator makes from the schemas and call sites, and the generator finds,
// resolves and reports what it should.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findErrorSites, openProgram, type ErrorSite } from '../../../scripts/reference-docs/error-sites';
import { renderErrors, unresolved } from '../../../scripts/reference-docs/errors';
import { generate, OUTPUTS, stalePages, type Generated } from '../../../scripts/reference-docs/main';

const ROOT = path.resolve(__dirname, '../../..');

/** The markdown section that starts at `heading` and ends before the next heading of the same or a higher level. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `no section ${heading}`);
  const level = heading.split(' ')[0];
  const rest = text.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  return end < 0 ? rest : rest.slice(0, end);
}

describe('generated reference docs', function () {
  this.timeout(120_000); // one TypeScript session over the whole product tree
  let g: Generated;
  before(() => {
    g = generate(ROOT);
  });

  it('docs/api.md and docs/errors.md match what the sources generate, with every error code resolved', () => {
    assert.deepEqual(g.problems, [], 'unresolved error codes: make them literals or constants, or add a PASS_THROUGH entry');
    for (const [k, file] of Object.entries(OUTPUTS)) {
      const onDisk = fs.existsSync(path.join(ROOT, file)) ? fs.readFileSync(path.join(ROOT, file), 'utf8') : '';
      assert.ok(onDisk === g.files[k as keyof typeof OUTPUTS], `${file} is stale: run \`npm run docs:gen\``);
    }
    assert.deepEqual(stalePages(ROOT, g), []);
  });

  it("renders a method's params with their bounds and comments, its deadline and its result", () => {
    const exec = section(g.files.api, '#### `sandbox/exec`');
    assert.match(exec, /\| `timeoutMs` \| integer \| optional \| > 0, ≤ 86400000 \|/);
    assert.match(exec, /\| `stdin` \| string \| optional \| max length 16777216 \| Standard input, base64\. \|/);
    assert.match(exec, /Default deadline: 31 min when `timeoutMs` is not given \(computed from `timeoutMs`\)\./);
    assert.match(exec, /\*\*Result\*\*\n\n\[SandboxExecResult\]\(#type-sandboxexecresult\)/);
    assert.match(section(g.files.api, '#### `kernel/ping`'), /Default deadline: 30 s\./);
    assert.match(g.files.api, /Protocol version \*\*\d+\*\*/);
    // An event's union on `type`, one table per variant, linked from the event that carries it.
    assert.match(section(g.files.api, '### `task/event`'), /\| `event` \| \[TaskEvent\]\(#type-taskevent\) \| required \|/);
    const taskEvent = section(g.files.api, '### Type `TaskEvent`');
    assert.match(taskEvent, /- `type: 'approval-request'`\n\n {2}\| field/);
    assert.match(taskEvent, /- `type: 'workflow'`: \[WorkflowTaskEvent\]\(#type-workflowtaskevent\)/);
  });

  it('lists an error code from a real call site, resolved through ErrorCodes, with the module and its hint', () => {
    const site = g.sites.find((s) => s.file === 'core/src/engine/detect.ts' && s.codeText === 'ErrorCodes.NoRuntime');
    assert.ok(site, 'the RUNTIME_NOT_FOUND site in core/src/engine/detect.ts');
    assert.deepEqual(site.codes, ['RUNTIME_NOT_FOUND']);
    const row = g.files.errors.split('\n').find((l) => l.startsWith('| `RUNTIME_NOT_FOUND` (`ErrorCodes.NoRuntime`) |'));
    assert.ok(row?.includes('`core/src/engine/detect.ts`'), row);
    assert.ok(row!.includes(site.hints[0]!.replace(/\|/g, '\\|')), row);
    assert.match(site.hints[0]!, /install and start one/);
  });

  it('resolves literals, constants, imported consts and conditionals; reports a computed code with file:line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-ref-docs-'));
    const errors = path.join(ROOT, 'protocol', 'src', 'errors.ts');
    fs.writeFileSync(path.join(dir, 'codes.ts'), "export const IMPORTED = 'SCRATCH_IMPORTED';\n");
    fs.writeFileSync(
      path.join(dir, 'raise.ts'),
      [
        `import { AirlockError, ErrorCodes } from ${JSON.stringify(errors.replace(/\.ts$/, ''))};`,
        "import { IMPORTED } from './codes';",
        "const LOCAL = 'SCRATCH_LOCAL';",
        "export function computed(code: string) { return new AirlockError(code, 'm', 'h'); }",
        "export function local(n: number) { return new AirlockError(LOCAL, 'm', `try ${n} again`); }",
        "export function twice() { return new AirlockError(LOCAL, 'm', 'another hint'); }",
        "export function either(x: boolean) { return AirlockError.from(new Error('e'), x ? ErrorCodes.Timeout : IMPORTED, 'h'); }",
        'export function plain(e: unknown) { return AirlockError.from(e); }',
        '',
      ].join('\n'),
    );
    const files = [errors, path.join(dir, 'raise.ts')];
    const { at, close } = openProgram(ROOT, files);
    let sites: ErrorSite[];
    try {
      sites = findErrorSites(ROOT, files, at).filter((s) => s.file.endsWith('raise.ts'));
    } finally {
      close();
    }
    const by = (scope: string) => sites.find((s) => s.scope === scope)!;
    assert.deepEqual(by('computed').codes, []);
    assert.deepEqual(by('local'), { ...by('local'), codes: ['SCRATCH_LOCAL'], hints: ['try … again'] });
    assert.deepEqual(by('either').codes, ['RPC_TIMEOUT', 'SCRATCH_IMPORTED']);
    assert.deepEqual(by('plain').codes, ['INTERNAL']);
    const problems = unresolved(sites);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0], /raise\.ts:4: code `code` \(in computed\)/);
    // A code raised with two different hints lists both.
    const row = renderErrors(sites)
      .split('\n')
      .find((l) => l.startsWith('| `SCRATCH_LOCAL` |'))!;
    assert.match(row, /another hint<br>try … again/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
