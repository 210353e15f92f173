// Parses test-runner output (mocha, jest, vitest, node:test TAP/spec, pytest, go test -v) into pass/fail counts and names.
import { z } from 'zod';

export const TestStatus = z.enum(['passed', 'failed', 'skipped']);
export const TestCase = z.object({ name: z.string(), status: TestStatus });
export type TestCase = z.infer<typeof TestCase>;
export const RunnerKind = z.enum(['node-spec', 'tap', 'mocha-spec', 'jest', 'vitest', 'pytest', 'go']);
export type RunnerKind = z.infer<typeof RunnerKind>;

export const ParsedTestRun = z.object({
  runner: RunnerKind,
  passed: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  /** Individual tests when the output names them (summary-only formats give counts only). */
  tests: z.array(TestCase),
});
export type ParsedTestRun = z.infer<typeof ParsedTestRun>;

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

type Parser = (lines: string[]) => ParsedTestRun | undefined;

/** Tries each format by its signature; undefined when the output is none of them (guards then fail closed). */
export function parseTestOutput(text: string): ParsedTestRun | undefined {
  const lines = text.replace(ANSI, '').split(/\r?\n/);
  for (const p of [nodeSpec, tap, mochaSpec, jest, vitest, pytest, goTest]) {
    const r = p(lines);
    if (r) return r;
  }
  return undefined;
}

const indentOf = (l: string): number => l.length - l.trimStart().length;
const countOf = (lines: string[], re: RegExp): number | undefined => {
  for (const l of lines) {
    const m = re.exec(l);
    if (m) return Number(m[1]);
  }
  return undefined;
};
function fromTests(
  runner: RunnerKind,
  tests: TestCase[],
  counts: { passed?: number; failed?: number; skipped?: number } = {},
): ParsedTestRun {
  const n = (s: TestCase['status']) => tests.filter((t) => t.status === s).length;
  return {
    runner,
    tests,
    passed: counts.passed ?? n('passed'),
    failed: counts.failed ?? n('failed'),
    skipped: counts.skipped ?? n('skipped'),
  };
}

/** node --test --test-reporter=spec: `▶ suite`, `✔ name (1ms)`, `✖ name`, `﹣ name # SKIP`, summary `ℹ pass N`. */
const nodeSpec: Parser = (lines) => {
  const end = lines.findIndex((l) => /^ℹ tests \d+/.test(l));
  if (end < 0) return undefined;
  const tests: TestCase[] = [];
  const suites: Array<{ name: string; indent: number }> = [];
  for (const l of lines.slice(0, end)) {
    const m = /^(\s*)(▶|✔|✖|﹣) (.*?)(?: \([\d.]+m?s\))?( # (?:SKIP|TODO).*)?$/.exec(l);
    if (!m) continue;
    const indent = m[1].length;
    while (suites.length && suites[suites.length - 1].indent > indent) suites.pop();
    if (m[2] === '▶') {
      suites.push({ name: m[3], indent });
      continue;
    }
    const top = suites[suites.length - 1];
    if (top && top.indent === indent && top.name === m[3]) {
      suites.pop();
      continue;
    } // a suite's closing line
    const name = [...suites.map((s) => s.name), m[3]].join(' > ');
    tests.push({ name, status: m[4] || m[2] === '﹣' ? 'skipped' : m[2] === '✔' ? 'passed' : 'failed' });
  }
  const tail = lines.slice(end);
  return fromTests('node-spec', tests, {
    passed: countOf(tail, /^ℹ pass (\d+)/),
    failed: countOf(tail, /^ℹ fail (\d+)/),
    skipped: countOf(tail, /^ℹ skipped (\d+)/),
  });
};

/** TAP (node:test's default when piped, mocha --reporter tap): leaf `ok`/`not ok` lines; `# Subtest:` names the path. */
const tap: Parser = (lines) => {
  const re = /^(\s*)(not ok|ok) \d+(?: -)? (.*?)(?: # (SKIP|TODO)\b.*)?$/;
  if (!lines.some((l) => re.test(l)) || !lines.some((l) => /^\s*1\.\.\d+/.test(l))) return undefined;
  const subtests: string[] = [];
  const entries: Array<{ indent: number; name: string; status: TestCase['status'] }> = [];
  for (const l of lines) {
    const sub = /^(\s*)# Subtest: (.*)$/.exec(l);
    if (sub) {
      subtests[sub[1].length / 4] = sub[2];
      subtests.length = sub[1].length / 4 + 1;
      continue;
    }
    const m = re.exec(l);
    if (!m) continue;
    const depth = m[1].length / 4;
    const path = subtests.length > depth ? [...subtests.slice(0, depth), m[3]] : [m[3]];
    entries.push({ indent: m[1].length, name: path.join(' > '), status: m[4] ? 'skipped' : m[2] === 'ok' ? 'passed' : 'failed' });
  }
  // Subtests print before their parent: an entry right after a deeper one is a suite, not a test.
  const tests = entries.filter((e, i) => !(i > 0 && entries[i - 1].indent > e.indent)).map(({ name, status }) => ({ name, status }));
  return fromTests('tap', tests, { passed: countOf(lines, /^# pass (\d+)/), failed: countOf(lines, /^# fail (\d+)/) });
};

/** mocha's spec reporter: `✔ name`, `N) name`, `- name`, suites as plain indented lines, summary `N passing`. */
const mochaSpec: Parser = (lines) => {
  const end = lines.findIndex((l) => /^\s+\d+ passing \(/.test(l));
  if (end < 0) return undefined;
  const tests: TestCase[] = [];
  const suites: Array<{ name: string; indent: number }> = [];
  for (const l of lines.slice(0, end)) {
    if (!l.trim()) continue;
    const indent = indentOf(l);
    while (suites.length && suites[suites.length - 1].indent >= indent) suites.pop();
    const m = /^\s*(?:(✔|✓)|(\d+)\)|(-)) (.*?)(?: \(\d+ms\))?$/.exec(l);
    if (!m) {
      suites.push({ name: l.trim(), indent });
      continue;
    }
    tests.push({ name: [...suites.map((s) => s.name), m[4]].join(' > '), status: m[1] ? 'passed' : m[2] ? 'failed' : 'skipped' });
  }
  const tail = lines.slice(end);
  return fromTests('mocha-spec', tests, {
    passed: countOf(tail, /^\s+(\d+) passing/),
    failed: countOf(tail, /^\s+(\d+) failing/) ?? 0,
    skipped: countOf(tail, /^\s+(\d+) pending/) ?? 0,
  });
};

/** jest: `✓ name (2 ms)`, `✕ name`, `○ skipped name`, summary `Tests: 1 failed, 2 passed, 3 total`. */
const jest: Parser = (lines) => {
  const summary = lines.find((l) => /^Tests:\s+.*\d+ total/.test(l));
  if (!summary) return undefined;
  const tests: TestCase[] = [];
  for (const l of lines) {
    const m = /^\s+(✓|✕|○)(?: skipped| todo)? (.*?)(?: \(\d+ ms\))?$/.exec(l);
    if (m) tests.push({ name: m[2], status: m[1] === '✓' ? 'passed' : m[1] === '✕' ? 'failed' : 'skipped' });
  }
  const n = (w: string) => Number(new RegExp(`(\\d+) ${w}`).exec(summary)?.[1] ?? 0);
  return fromTests('jest', tests, { passed: n('passed'), failed: n('failed'), skipped: n('skipped') + n('todo') });
};

/** vitest: `✓ file > suite > name 1ms`, `× name`, `↓ name`, summary `Tests  1 failed | 2 passed (3)`. */
const vitest: Parser = (lines) => {
  const summary = lines.find((l) => /^\s*Tests\s+.*\(\d+\)\s*$/.test(l));
  if (!summary) return undefined;
  const tests: TestCase[] = [];
  for (const l of lines) {
    const m = /^\s+(✓|×|↓) (.*?)(?: \d+m?s)?$/.exec(l);
    if (m) tests.push({ name: m[2], status: m[1] === '✓' ? 'passed' : m[1] === '×' ? 'failed' : 'skipped' });
  }
  const n = (w: string) => Number(new RegExp(`(\\d+) ${w}`).exec(summary)?.[1] ?? 0);
  return fromTests('vitest', tests, { passed: n('passed'), failed: n('failed'), skipped: n('skipped') + n('todo') });
};

/** pytest: `path::test PASSED` (-v) and the final `1 failed, 2 passed, 1 skipped in 0.7s`. */
const pytest: Parser = (lines) => {
  const summary = [...lines].reverse().find((l) => /^=*\s*(?:\d+ \w+(?:, )?)+ in [\d.]+s/.test(l.replace(/^=+ /, '')));
  if (!summary) return undefined;
  const tests: TestCase[] = [];
  for (const l of lines) {
    const m = /^(\S+::\S+) (PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS)\b/.exec(l);
    if (m) tests.push({ name: m[1], status: m[2] === 'PASSED' || m[2] === 'XFAIL' ? 'passed' : m[2] === 'SKIPPED' ? 'skipped' : 'failed' });
  }
  if (!tests.length) {
    for (const l of lines) {
      const f = /^(?:FAILED|ERROR) (\S+::\S+)/.exec(l);
      if (f) tests.push({ name: f[1], status: 'failed' });
    }
  }
  const n = (w: string) => Number(new RegExp(`(\\d+) ${w}`).exec(summary)?.[1] ?? 0);
  return fromTests('pytest', tests, { passed: n('passed'), failed: n('failed') + n('errors?'), skipped: n('skipped') });
};

/** go test -v: `--- PASS: TestX (0.00s)`; a test with subtests counts through its leaves. */
const goTest: Parser = (lines) => {
  const all: TestCase[] = [];
  for (const l of lines) {
    const m = /^\s*--- (PASS|FAIL|SKIP): (\S+)/.exec(l);
    if (m) all.push({ name: m[2], status: m[1] === 'PASS' ? 'passed' : m[1] === 'FAIL' ? 'failed' : 'skipped' });
  }
  if (!all.length && !lines.some((l) => /^(ok|FAIL)\s+\S+\s+[\d.]+s/.test(l))) return undefined;
  const tests = all.filter((t) => !all.some((o) => o.name.startsWith(t.name + '/')));
  return fromTests('go', tests);
};
