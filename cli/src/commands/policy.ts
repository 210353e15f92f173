// `airlock policy eval|check|token`: judges requests and checks policies locally with the kernel's own engine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig, statePaths } from '../../../bootstrap';
import { AirlockError } from '../../../protocol/src/errors';
import { PolicyRequest } from '../../../protocol/src/policy';
import { PolicyEngine, verifyTokenFor } from '../../../core/src/policy/engine';
import { TOKEN_KEY_NAME } from '../../../core/src/policy/defaults';
import { checkExamples } from '../../../core/src/policy/examples';
import { compilePolicy, formatProblem, PolicyLoadError, readPolicyFile } from '../../../core/src/policy/loader';
import { TokenService } from '../../../core/src/policy/tokens';
import { parseDuration } from '../../../core/src/policy/units';
import type { CliIO, Command } from '../command';

const USAGE = `airlock policy eval --policy PATH [--policy PATH ...] --request FILE|- [--workspace DIR] [--mode MODE] [--token-key FILE]
       airlock policy check PATH [PATH ...] [--workspace DIR]
       airlock policy token issue --subject KIND:ID --action ACTION --resource PATTERN [--ttl 10m] [--workspace DIR] [--key FILE]
       airlock policy token verify --token TOKEN|- --subject KIND:ID --action ACTION --resource RESOURCE [--workspace DIR] [--key FILE]`;

/**
 * The key the workspace's kernel signs and checks tokens with: bootstrap's state folder for that workspace (the same
 * paths bootstrap mounts at /state), so a token issued here is one that kernel accepts.
 */
export function kernelTokenKeyPath(workspace: string, env: NodeJS.ProcessEnv): string {
  return path.join(statePaths(readConfig({ workspace }, env), env).state, TOKEN_KEY_NAME);
}

function need(v: string | undefined, flag: string): string {
  if (!v) throw new AirlockError('CLI_USAGE', `missing --${flag}`, USAGE);
  return v;
}

function printProblems(io: CliIO, e: PolicyLoadError): void {
  for (const p of e.problems) io.err(formatProblem(p));
}

async function evalCmd(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      policy: { type: 'string', multiple: true },
      request: { type: 'string' },
      workspace: { type: 'string' },
      mode: { type: 'string' },
      'token-key': { type: 'string' },
    },
  });
  const policies = values.policy ?? [];
  if (!policies.length) throw new AirlockError('CLI_USAGE', 'missing --policy', USAGE);
  const source = need(values.request, 'request');
  const workspace = values.workspace ? fs.realpathSync(path.resolve(io.cwd, values.workspace)) : undefined;
  const keyFile = values['token-key'] ? path.resolve(io.cwd, values['token-key']) : kernelTokenKeyPath(workspace ?? io.cwd, io.env);
  const tokens = values['token-key'] || fs.existsSync(keyFile) ? TokenService.openKeyFile(keyFile) : undefined;
  const engine = new PolicyEngine({ workspace, mode: values.mode, tokens });
  try {
    engine.load(policies.map((p) => path.resolve(io.cwd, p)));
  } catch (e) {
    if (e instanceof PolicyLoadError) {
      printProblems(io, e);
      return 2;
    }
    throw e;
  }
  let text: string;
  try {
    text = source === '-' ? await io.readStdin() : fs.readFileSync(path.resolve(io.cwd, source), 'utf8');
  } catch (e) {
    io.err(`${source}: cannot read: ${(e as Error).message}`);
    return 2;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    io.err(`${source}: not JSON: ${(e as Error).message}`);
    return 2;
  }
  const parsed = PolicyRequest.safeParse(json);
  if (!parsed.success) {
    for (const i of parsed.error.issues) io.err(`${source}: ${i.path.join('.') || '(request)'}: ${i.message}`);
    return 2;
  }
  io.out(JSON.stringify(await engine.evaluateAsync(parsed.data)));
  return 0;
}

function checkCmd(args: string[], io: CliIO): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { workspace: { type: 'string' } } });
  if (!positionals.length) throw new AirlockError('CLI_USAGE', 'missing policy PATH', USAGE);
  const workspace = values.workspace ? fs.realpathSync(path.resolve(io.cwd, values.workspace)) : undefined;
  try {
    const files = positionals.map((p) => readPolicyFile(path.resolve(io.cwd, p)));
    const compiled = compilePolicy(files, { workspace });
    const failures = checkExamples(compiled, files, workspace);
    for (const f of failures) io.err(formatProblem(f));
    const examples = files.reduce(
      (n, f) => n + f.policy.rules.reduce((m, r) => m + (r.examples?.match?.length ?? 0) + (r.examples?.not_match?.length ?? 0), 0),
      0,
    );
    if (failures.length) return 1;
    io.out(`ok: ${compiled.rules.length} rules (${compiled.rules.filter((r) => r.builtin).length} built-in), ${examples} examples pass`);
    return 0;
  } catch (e) {
    if (e instanceof PolicyLoadError) {
      printProblems(io, e);
      return 2;
    }
    throw e;
  }
}

async function tokenCmd(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      subject: { type: 'string' },
      action: { type: 'string' },
      resource: { type: 'string' },
      ttl: { type: 'string' },
      key: { type: 'string' },
      token: { type: 'string' },
      workspace: { type: 'string' },
    },
  });
  const keyFile = values.key ? path.resolve(io.cwd, values.key) : kernelTokenKeyPath(path.resolve(io.cwd, values.workspace ?? '.'), io.env);
  const subject = need(values.subject, 'subject');
  if (!/^(agent|plugin|user|kernel):.+$/.test(subject))
    throw new AirlockError('CLI_USAGE', `--subject must be kind:id, got ${JSON.stringify(subject)}`);
  const action = need(values.action, 'action');
  const resource = need(values.resource, 'resource');
  if (sub === 'issue') {
    const tokens = TokenService.openKeyFile(keyFile, { issuer: 'cli' });
    io.out(tokens.issue({ subject, action, resource, ttlMs: parseDuration(values.ttl ?? '10m') }));
    return 0;
  }
  if (sub === 'verify') {
    if (!fs.existsSync(keyFile))
      throw new AirlockError(
        'POLICY_TOKEN_KEY',
        `no token key at ${keyFile}`,
        "the workspace's kernel creates it when it first starts (any airlock command there); or pass --key FILE",
      );
    const tokens = TokenService.openKeyFile(keyFile);
    const raw = need(values.token, 'token');
    const token = (raw === '-' ? await io.readStdin() : raw).trim();
    // Scope the resource the same way the engine does for the action (paths normalised, command lines trimmed).
    const colon = subject.indexOf(':');
    const r = verifyTokenFor(tokens, token, {
      subject: { kind: subject.slice(0, colon) as PolicyRequest['subject']['kind'], id: subject.slice(colon + 1), tags: [] },
      action,
      resource,
      context: {},
    });
    const check = r.ok ? { valid: true, claims: r.claims } : { valid: false, reason: r.reason };
    io.out(JSON.stringify(check));
    return check.valid ? 0 : 1;
  }
  throw new AirlockError('CLI_USAGE', `unknown token subcommand ${JSON.stringify(sub ?? '')}`, USAGE);
}

export const policy: Command = {
  name: 'policy',
  summary: 'evaluate requests, check policy files, issue and verify capability tokens',
  usage: USAGE,
  async run(args, io) {
    const [sub, ...rest] = args;
    switch (sub) {
      case 'eval':
        return evalCmd(rest, io);
      case 'check':
        return checkCmd(rest, io);
      case 'token':
        return tokenCmd(rest, io);
      default:
        throw new AirlockError('CLI_USAGE', `unknown policy subcommand ${JSON.stringify(sub ?? '')}`, USAGE);
    }
  },
};
