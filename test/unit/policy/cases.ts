// The 26 normative policy cases as data: a policy, a request, the expected decision. docs/policy.md mirrors this table.
import type { Effect } from '../../../protocol/src/policy';

export type Group = 'basic' | 'token' | 'except' | 'aggregation' | 'defensive';

export interface TokenSetup {
  /** Scope of the issued token (defaults: the request's subject, action and resource). */
  scope?: { subject?: string; action?: string; resource?: string; ttlMs?: number };
  /** forged: signed with another key; tampered: claims edited after signing; replay: presented a second time. */
  attack?: 'forged' | 'tampered' | 'replay' | 'expired';
}

export interface NormativeCase {
  n: number;
  group: Group;
  title: string;
  /** The `rules:` list of a version-1 policy, as YAML. */
  rules: string;
  defaults?: string;
  request: { subject?: string; tags?: string[]; action: string; resource: string; context?: Record<string, unknown> };
  token?: TokenSetup;
  expect: { decision: Effect; matched?: string[]; limits?: Record<string, number>; reason?: RegExp };
}

const allowSrc = `
- { id: read-src, effect: allow, actions: [fs.read], resources: ["src/**"] }`;
const askWrite = `
- { id: write-ask, effect: ask, actions: [fs.write], resources: ["src/**"] }`;

export const CASES: NormativeCase[] = [
  // ---- basic semantics (1-6)
  {
    n: 1,
    group: 'basic',
    title: 'no matching rule is a deny (default deny)',
    rules: allowSrc,
    request: { action: 'fs.read', resource: 'docs/a.md' },
    expect: { decision: 'deny', matched: [], reason: /default deny/ },
  },
  {
    n: 2,
    group: 'basic',
    title: 'a matching allow rule allows',
    rules: allowSrc,
    request: { action: 'fs.read', resource: 'src/a.ts' },
    expect: { decision: 'allow', matched: ['read-src'] },
  },
  {
    n: 3,
    group: 'basic',
    title: 'deny beats allow whatever the order',
    rules: `
- { id: no-gen, effect: deny, actions: [fs.read], resources: ["src/gen/**"] }${allowSrc}`,
    request: { action: 'fs.read', resource: 'src/gen/x.ts' },
    expect: { decision: 'deny', matched: ['no-gen', 'read-src'] },
  },
  {
    n: 4,
    group: 'basic',
    title: 'ask beats allow',
    rules: `${allowSrc}
- { id: ask-cfg, effect: ask, actions: ["fs.*"], resources: ["src/config/**"] }`,
    request: { action: 'fs.read', resource: 'src/config/db.ts' },
    expect: { decision: 'ask', matched: ['ask-cfg', 'read-src'] },
  },
  {
    n: 5,
    group: 'basic',
    title: 'deny beats ask',
    rules: `${askWrite}
- { id: no-lock, effect: deny, actions: [fs.write], resources: ["**/*.lock"] }`,
    request: { action: 'fs.write', resource: 'src/x.lock' },
    expect: { decision: 'deny', matched: ['no-lock', 'write-ask'] },
  },
  {
    n: 6,
    group: 'basic',
    title: 'an unknown action is denied even under an allow-everything rule',
    rules: `
- { id: all, effect: allow, actions: ["*"] }`,
    request: { action: 'fs.chmod', resource: 'src/a.ts' },
    expect: { decision: 'deny', matched: [], reason: /unknown action/ },
  },

  // ---- token path (7-9, 21-23)
  {
    n: 7,
    group: 'token',
    title: 'a valid token turns ask into allow',
    rules: askWrite,
    request: { action: 'fs.write', resource: 'src/a.ts' },
    token: {},
    expect: { decision: 'allow', matched: ['write-ask'], reason: /capability token/ },
  },
  {
    n: 8,
    group: 'token',
    title: 'a valid token never overrides a deny',
    rules: `${askWrite}
- { id: no-main, effect: deny, actions: [fs.write], resources: [src/main.ts] }`,
    request: { action: 'fs.write', resource: 'src/main.ts' },
    token: {},
    expect: { decision: 'deny', matched: ['no-main', 'write-ask'] },
  },
  {
    n: 9,
    group: 'token',
    title: 'a replayed token is a deny',
    rules: askWrite,
    request: { action: 'fs.write', resource: 'src/a.ts' },
    token: { attack: 'replay' },
    expect: { decision: 'deny', reason: /already used/ },
  },
  {
    n: 21,
    group: 'token',
    title: 'an expired token is a deny',
    rules: askWrite,
    request: { action: 'fs.write', resource: 'src/a.ts' },
    token: { attack: 'expired' },
    expect: { decision: 'deny', reason: /expired/ },
  },
  {
    n: 22,
    group: 'token',
    title: 'a forged or tampered token is a deny',
    rules: askWrite,
    request: { action: 'fs.write', resource: 'src/a.ts' },
    token: { attack: 'tampered' },
    expect: { decision: 'deny', reason: /signature/ },
  },
  {
    n: 23,
    group: 'token',
    title: 'an out-of-scope token is a deny, even where rules allow',
    rules: `${allowSrc}${askWrite}`,
    request: { action: 'fs.read', resource: 'src/a.ts' },
    token: { scope: { resource: 'docs/**' } },
    expect: { decision: 'deny', reason: /scoped/ },
  },

  // ---- except mechanism (13-15, 26)
  {
    n: 13,
    group: 'except',
    title: 'except carves a path out of its own rule',
    rules: `
- { id: read-src, effect: allow, actions: [fs.read], resources: ["src/**"], except: ["**/*.pem"] }`,
    request: { action: 'fs.read', resource: 'src/keys/a.pem' },
    expect: { decision: 'deny', matched: [], reason: /default deny/ },
  },
  {
    n: 14,
    group: 'except',
    title: 'except does not stop another rule from matching',
    rules: `
- { id: read-src, effect: allow, actions: [fs.read], resources: ["src/**"], except: ["**/*.pem"] }
- { id: ops-keys, effect: allow, subjects: ["tag:ops"], actions: [fs.read], resources: ["**/*.pem"] }`,
    request: { tags: ['ops'], action: 'fs.read', resource: 'src/keys/a.pem' },
    expect: { decision: 'allow', matched: ['ops-keys'] },
  },
  {
    n: 15,
    group: 'except',
    title: 'except on a deny rule lets other rules decide the carve-out',
    rules: `${allowSrc}
- { id: no-src-writes, effect: deny, actions: [fs.read, fs.write], resources: ["src/**"], except: ["src/public/**"] }`,
    request: { action: 'fs.read', resource: 'src/public/logo.svg' },
    expect: { decision: 'allow', matched: ['read-src'] },
  },
  {
    n: 26,
    group: 'except',
    title: 'except applies after normalisation (./, //, ..)',
    rules: `
- { id: read-src, effect: allow, actions: [fs.read], resources: ["src/**"], except: ["src/secret/**"] }`,
    request: { action: 'fs.read', resource: './src//tmp/../secret/./k.txt' },
    expect: { decision: 'deny', matched: [] },
  },

  // ---- aggregation (10-12, 16-17)
  {
    n: 10,
    group: 'aggregation',
    title: 'the tightest timeout of all matching rules applies',
    rules: `
- { id: a, effect: allow, actions: [exec], resources: ["npm *"], limits: { timeout: 30s } }
- { id: b, effect: allow, actions: [exec], resources: ["npm test*"], limits: { timeout: 10s } }`,
    request: { action: 'exec', resource: 'npm test' },
    expect: { decision: 'allow', matched: ['a', 'b'], limits: { timeout_ms: 10_000 } },
  },
  {
    n: 11,
    group: 'aggregation',
    title: 'each limit is tightened independently',
    rules: `
- { id: a, effect: allow, actions: [exec], resources: ["make*"], limits: { timeout: 2m, memory: 1GiB } }
- { id: b, effect: allow, actions: [exec], resources: ["make*"], limits: { timeout: 5m, memory: 512MiB } }`,
    request: { action: 'exec', resource: 'make' },
    expect: { decision: 'allow', limits: { timeout_ms: 120_000, memory_bytes: 512 * 1024 ** 2 } },
  },
  {
    n: 12,
    group: 'aggregation',
    title: "the file's defaults are a ceiling for every rule",
    rules: `
- { id: a, effect: allow, actions: [exec], resources: ["make*"], limits: { timeout: 5m } }`,
    defaults: '{ timeout: 1m, memory: 256MiB }',
    request: { action: 'exec', resource: 'make all' },
    expect: { decision: 'allow', limits: { timeout_ms: 60_000, memory_bytes: 256 * 1024 ** 2 } },
  },
  {
    n: 16,
    group: 'aggregation',
    title: 'SI and IEC units compare by bytes (1GB < 1GiB)',
    rules: `
- { id: a, effect: allow, actions: [exec], resources: ["make*"], limits: { memory: 1GiB, output: 1.5MiB } }
- { id: b, effect: allow, actions: [exec], resources: ["make*"], limits: { memory: 1GB, output: 2MB } }`,
    request: { action: 'exec', resource: 'make' },
    expect: { decision: 'allow', limits: { memory_bytes: 1e9, output_bytes: 1_572_864 } },
  },
  {
    n: 17,
    group: 'aggregation',
    title: 'limits aggregate over every sub-command of a command line',
    rules: `
- { id: git, effect: allow, actions: [exec], resources: ["git *"], limits: { timeout: 20s } }
- { id: npm, effect: allow, actions: [exec], resources: ["npm *"], limits: { timeout: 5s, pids: 64 } }`,
    request: { action: 'exec', resource: 'git status && npm test' },
    expect: { decision: 'allow', matched: ['git', 'npm'], limits: { timeout_ms: 5000, pids: 64 } },
  },

  // ---- defensive boundaries (18-20, 24-25)
  {
    n: 18,
    group: 'defensive',
    title: 'a path escaping the workspace is denied',
    rules: `
- { id: all, effect: allow, actions: [fs.read], resources: ["**"] }`,
    request: { action: 'fs.read', resource: 'src/../../etc/passwd' },
    expect: { decision: 'deny', reason: /escapes the workspace/ },
  },
  {
    n: 19,
    group: 'defensive',
    title: 'a NUL byte in a resource is denied',
    rules: `
- { id: all, effect: allow, actions: [fs.read], resources: ["**"] }`,
    request: { action: 'fs.read', resource: 'src/a.ts\u0000.png' },
    expect: { decision: 'deny', reason: /NUL/ },
  },
  {
    n: 20,
    group: 'defensive',
    title: 'each sub-command of a chain is judged (an allowed head does not carry the tail)',
    rules: `
- { id: cat, effect: allow, actions: [exec], resources: ["cat *"] }`,
    request: { action: 'exec', resource: 'cat src/a.ts; rm -rf /' },
    expect: { decision: 'deny', matched: ['cat'], reason: /rm -rf/ },
  },
  {
    n: 24,
    group: 'defensive',
    title: 'substitutions and redirections are never better than ask',
    rules: `
- { id: ls, effect: allow, actions: [exec], resources: ["ls *", "whoami"] }`,
    request: { action: 'exec', resource: 'ls $(whoami) > out.txt' },
    expect: { decision: 'ask', matched: ['ls'], reason: /redirection, substitution/ },
  },
  {
    n: 25,
    group: 'defensive',
    title: 'no user rule weakens a built-in (policy files stay protected)',
    rules: `
- { id: write-all, effect: allow, actions: ["fs.*"], resources: ["**"] }`,
    request: { action: 'fs.write', resource: 'src/../policies/./strict.yaml' },
    expect: { decision: 'deny', matched: ['builtin.policy-files', 'write-all'] },
  },
];
