// Shared helpers for policy tests: temp policy files, engines and requests.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PolicyRequest } from '../../../protocol/src/policy';
import { PolicyEngine, type PolicyEngineOptions } from '../../../core/src/policy/engine';

export function tempDir(prefix = 'airlock-policy-'): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export function writePolicy(dir: string, rules: string, defaults?: string, name = 'policy.yaml'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    `version: 1\n${defaults ? `defaults: ${defaults}\n` : ''}rules:${rules.trim() ? '\n' + rules.replace(/^\n/, '') : ' []'}\n`,
  );
  return file;
}

export function engineFor(rules: string, opts: PolicyEngineOptions & { defaults?: string } = {}): PolicyEngine {
  const dir = tempDir();
  const engine = new PolicyEngine(opts);
  engine.load([writePolicy(dir, rules, opts.defaults)]);
  return engine;
}

export function req(
  action: string,
  resource: string,
  subject = 'agent:a',
  extra: Partial<PolicyRequest> & { tags?: string[] } = {},
): PolicyRequest {
  const colon = subject.indexOf(':');
  return {
    subject: { kind: subject.slice(0, colon) as PolicyRequest['subject']['kind'], id: subject.slice(colon + 1), tags: extra.tags ?? [] },
    action,
    resource,
    context: extra.context ?? {},
  };
}

export const newKey = (): Buffer => randomBytes(32);
