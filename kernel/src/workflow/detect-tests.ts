// Which test command a project uses, decided from a small probe of its files (taken inside the sandbox).
import { z } from 'zod';

/** What the probe reads in the project root (the workspace as the sandbox sees it). */
export const ProjectProbe = z.object({
  files: z.array(z.string()),
  /** Entries of test/ and tests/, when present. */
  testDir: z.array(z.string()).default([]),
  packageJson: z.string().optional(),
  pyproject: z.string().optional(),
  setupCfg: z.string().optional(),
});
export type ProjectProbe = z.infer<typeof ProjectProbe>;

/** Runs in the sandbox (`node -e`, cwd = the workspace) and prints the probe as JSON. */
export const PROBE_SOURCE = String.raw`
const fs = require('fs');
const read = (f) => { try { return fs.readFileSync(f, 'utf8').slice(0, 262144); } catch { return undefined; } };
const ls = (d) => { try { return fs.readdirSync(d); } catch { return []; } };
process.stdout.write(JSON.stringify({ files: ls('.'), testDir: [...ls('test'), ...ls('tests')], packageJson: read('package.json'), pyproject: read('pyproject.toml'), setupCfg: read('setup.cfg') }));
`;

export interface DetectedTests {
  /** What was recognised, for messages and the audit trail. */
  kind: 'npm-test' | 'mocha' | 'go' | 'pytest' | 'node-test';
  argv: string[];
}

const NPM_PLACEHOLDER = /no test specified/;
/** node --test's own discovery: test.js, test-*.js, *.test.js, *-test.js, *_test.js, and anything under test/. */
const JS_TEST = /^(test|test-.*|.*[._-]test)\.[cm]?js$/;

/**
 * In order: package.json `scripts.test` (not npm's placeholder) → `npm test`; mocha (dependency or .mocharc) →
 * the project's own mocha; go.mod → `go test -v ./...`; pytest configuration or test_*.py → `python3 -m pytest -v`;
 * JavaScript test files → `node --test` with the spec reporter. Undefined when nothing matches.
 */
export function detectTestCommand(p: ProjectProbe): DetectedTests | undefined {
  let pkg:
    { scripts?: Record<string, string>; dependencies?: Record<string, string>; devDependencies?: Record<string, string> } | undefined;
  if (p.packageJson !== undefined) {
    // The workspace's own file: every field read below is type-checked where it is used.
    try {
      const v: unknown = JSON.parse(p.packageJson);
      pkg = v && typeof v === 'object' ? (v as typeof pkg) : undefined;
    } catch {
      pkg = undefined;
    }
  }
  const script = pkg?.scripts?.test;
  if (typeof script === 'string' && script.trim() && !NPM_PLACEHOLDER.test(script))
    return { kind: 'npm-test', argv: ['npm', 'test', '--silent'] };
  const deps = { ...pkg?.dependencies, ...pkg?.devDependencies };
  if ('mocha' in deps || p.files.some((f) => f.startsWith('.mocharc'))) return { kind: 'mocha', argv: ['node_modules/.bin/mocha'] };
  if (p.files.includes('go.mod')) return { kind: 'go', argv: ['go', 'test', '-v', './...'] };
  const pytestConfigured =
    p.files.includes('pytest.ini') ||
    p.files.includes('conftest.py') ||
    /^\[tool\.pytest/m.test(p.pyproject ?? '') ||
    /^\[tool:pytest\]/m.test(p.setupCfg ?? '') ||
    [...p.files, ...p.testDir].some((f) => /^test_.*\.py$|_test\.py$/.test(f));
  if (pytestConfigured) return { kind: 'pytest', argv: ['python3', '-m', 'pytest', '-v'] };
  if (p.files.some((f) => JS_TEST.test(f)) || p.testDir.some((f) => /\.[cm]?js$/.test(f)))
    return { kind: 'node-test', argv: ['node', '--test', '--test-reporter=spec'] };
  return undefined;
}
