// Options shared by `airlock run` and `airlock chat`: provider, model, mode, replay/record, and the provider's key.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { managedRefusal } from '../../../core/src/config/managed';
import { assertUsable, resolveConfig } from '../../../core/src/config/resolve';
import { AgentMode, Budgets, ProviderName } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import type { ParamsOf } from '../../../protocol/src/methods';
import type { HistoryTurn } from '../../../protocol/src/methods/agent';
import { AutoMergeCriteria } from '../../../protocol/src/patches';
import { assets } from '../../../protocol/src/node/assets';
import { osKeychain } from '../auth/keychain';
import { findKey, KEY_SOURCES, type KeyLookup } from '../auth/keys';

export interface RunOptions {
  workspace: string;
  /** What to print in the suggested `airlock review` commands ('' when the workspace is the current directory). */
  workspaceArg: string;
  provider?: ProviderName;
  model?: string;
  baseUrl?: string;
  mode?: AgentMode;
  /** Replay path as the kernel sees it (workspace-relative or under /opt/airlock/examples). */
  replay?: string;
  record?: string;
  yes: boolean;
  /** Auto-merge criteria (--auto-merge ...): sent with task/start; an allowed set is applied here, on the host. */
  autoMerge?: AutoMergeCriteria;
  budgets?: Budgets;
  /** The conversation so far (`airlock chat`), sent as task/start `history`. */
  history?: HistoryTurn[];
  /** The chat's patch sets so far (`airlock chat`), sent as task/start `proposal`: the turn starts from the open one. */
  proposal?: string[];
  /** The stored session a follow-up continues (`airlock sessions resume`). */
  continues?: string;
  /** The workflow session of the chat's last turn (`airlock chat`): the turn continues it, as the chat in VS Code does. */
  sessionId?: string;
  /** A turn of `airlock chat` (task/start `chat`): the kernel keeps its provider worker for the next turn. */
  chat?: boolean;
  positionals: string[];
  /** Values a layer tried to set and could not (managed settings, a workspace file setting a host-only key). */
  warnings: string[];
}

export const RUN_OPTIONS = {
  workspace: { type: 'string' },
  provider: { type: 'string' },
  model: { type: 'string' },
  'base-url': { type: 'string' },
  mode: { type: 'string' },
  replay: { type: 'string' },
  record: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  'auto-merge': { type: 'boolean' },
  'auto-merge-paths': { type: 'string', multiple: true },
  'auto-merge-max-lines': { type: 'string' },
} as const;

/**
 * `--auto-merge [--auto-merge-paths GLOB ...] [--auto-merge-max-lines N]` → criteria (undefined without --auto-merge;
 * the refinements alone are a usage error). Paths default to test/** and the line limit to 20, as in VS Code's settings.
 */
export function autoMergeFromFlags(
  v: { 'auto-merge'?: boolean; 'auto-merge-paths'?: string[]; 'auto-merge-max-lines'?: string },
  usage: string,
): AutoMergeCriteria | undefined {
  const paths = (v['auto-merge-paths'] ?? []).flatMap((p) => p.split(/\s+/)).filter(Boolean);
  const max = v['auto-merge-max-lines'];
  if (!v['auto-merge']) {
    if (paths.length || max !== undefined)
      throw new AirlockError(
        'CLI_USAGE',
        '--auto-merge-paths and --auto-merge-max-lines refine --auto-merge; pass --auto-merge too',
        usage,
      );
    return undefined;
  }
  if (max !== undefined && !/^\d+$/.test(max))
    throw new AirlockError('CLI_USAGE', `--auto-merge-max-lines must be a whole number, got ${JSON.stringify(max)}`, usage);
  return AutoMergeCriteria.parse({
    enabled: true,
    paths: paths.length ? paths : ['test/**'],
    maxChangedLines: max === undefined ? 20 : Number(max),
  });
}

/** Where `examples/` is on the host, from the asset resolver (the kernel image ships it at /opt/airlock/examples). */
export function hostExamplesDirs(): string[] {
  return [assets().examplesDir];
}

/** Maps a host replay file to the path the kernel can read, or says why it cannot. */
export function kernelReplayPath(file: string, workspace: string, examples = hostExamplesDirs()): string {
  const abs = path.resolve(file);
  const inside = (root: string) => {
    const r = path.relative(root, abs);
    return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : undefined;
  };
  const inWs = inside(workspace);
  if (inWs) return inWs.split(path.sep).join('/');
  for (const ex of examples) {
    const r = inside(ex);
    if (r) return `/opt/airlock/examples/${r.split(path.sep).join('/')}`;
  }
  throw new AirlockError(
    'CLI_REPLAY_OUTSIDE',
    `the kernel cannot read ${file}: it is neither in the workspace nor in Airlock's examples/`,
    'copy the replay file into the workspace',
  );
}

export function parseRunOptions(args: string[], cwd: string, usage: string, env: NodeJS.ProcessEnv = process.env): RunOptions {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: RUN_OPTIONS });
  const provider = values.provider === undefined ? undefined : ProviderName.safeParse(values.provider);
  if (provider && !provider.success)
    throw new AirlockError(
      'CLI_USAGE',
      `unknown provider ${JSON.stringify(values.provider)}`,
      `one of: ${ProviderName.options.join(', ')}`,
    );
  // VS Code's language models live in its extension host: only a task started from VS Code can use them.
  if (provider?.data === 'vscode-lm')
    throw new AirlockError('CLI_USAGE', 'the vscode-lm provider works only in VS Code', 'choose another --provider');
  const mode = values.mode === undefined ? undefined : AgentMode.safeParse(values.mode);
  if (mode && !mode.success) throw new AirlockError('CLI_USAGE', `unknown mode ${JSON.stringify(values.mode)}`, usage);
  const workspace = path.resolve(cwd, values.workspace ?? '.');
  if (!fs.existsSync(workspace) || !fs.statSync(workspace).isDirectory())
    throw new AirlockError('CLI_USAGE', `workspace ${workspace} is not a directory`, usage);
  const replay = values.replay === undefined ? undefined : kernelReplayPath(path.resolve(cwd, values.replay), workspace);
  // Flags are the top layer of the configuration hierarchy: managed settings still decide what they may change.
  const cfg = resolveConfig({
    workspace,
    env,
    flagSource: 'command line',
    flags: {
      'agent.provider': provider?.data,
      'agent.model': values.model,
      'agent.baseUrl': values['base-url'],
      'agent.mode': mode?.data,
      'review.autoMerge': values['auto-merge'],
    },
  });
  assertUsable(cfg);
  const v = cfg.values;
  if (replay) {
    const refused = managedRefusal(cfg.managed, 'agent.provider', 'replay');
    if (refused)
      throw new AirlockError(
        'CONFIG_MANAGED_REFUSED',
        `--replay: the replay provider is ${refused}`,
        '`airlock config explain agent.provider`',
      );
  }
  // --auto-merge refused by managed settings drops its refinements too (warned above); without it they are a usage error.
  const refused = values['auto-merge'] && v['review.autoMerge'] !== true;
  const autoMerge =
    v['review.autoMerge'] === true
      ? autoMergeFromFlags({ ...values, 'auto-merge': true }, usage)
      : refused
        ? undefined
        : autoMergeFromFlags(values, usage);
  const wall = v['budget.maxWallMinutes'] as number | undefined;
  const given = {
    maxTokens: v['budget.maxTokens'],
    maxCostUsd: v['budget.maxCostUsd'],
    maxTurns: v['budget.maxTurns'],
    maxWallMs: wall ? Math.round(wall * 60_000) : undefined,
  };
  const budgets = Budgets.parse(Object.fromEntries(Object.entries(given).filter(([, b]) => b !== undefined)));
  return {
    workspace,
    workspaceArg: workspace === path.resolve(cwd) ? '' : workspace,
    provider: replay ? undefined : (v['agent.provider'] as ProviderName | undefined),
    model: v['agent.model'] as string | undefined,
    baseUrl: v['agent.baseUrl'] as string | undefined,
    mode: v['agent.mode'] as AgentMode | undefined,
    replay,
    record: values.record === undefined ? undefined : path.resolve(cwd, values.record),
    yes: !!values.yes,
    positionals,
    autoMerge,
    budgets: Object.values(budgets).some((b) => b !== undefined) ? budgets : undefined,
    warnings: cfg.warnings,
  };
}

/**
 * The provider/configure call for a provider, with its key from the environment (it overrides, for CI) or else the OS
 * keychain (`airlock auth set`); never from settings files. The keychain is injectable so tests need no Secret Service;
 * when it cannot be read, `warn` says so and the call goes without a key (the kernel then says which key is missing).
 */
export async function providerConfig(
  o: RunOptions,
  env: NodeJS.ProcessEnv,
  keychain: KeyLookup = osKeychain(),
  warn: (line: string) => void = () => undefined,
): Promise<ParamsOf<'provider/configure'> | undefined> {
  const name = o.provider ?? (o.replay ? 'replay' : undefined);
  if (!name || name === 'replay' || name === 'vscode-lm') return undefined;
  const found = await findKey(name, env, keychain);
  // A local openai-compatible server often needs no key: an unreadable keychain is only worth a warning elsewhere.
  if (found.source === 'none' && found.problem && name !== 'openai-compatible') {
    warn(`no ${KEY_SOURCES[name].vars.join(' / ')} and the keychain could not be read: ${found.problem.message}`);
  }
  const apiKey = found.source === 'none' ? undefined : found.key;
  return { provider: name, ...(apiKey ? { apiKey } : {}), ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}) };
}

export function startParams(o: RunOptions, prompt: string): ParamsOf<'task/start'> {
  return {
    prompt,
    ...(o.provider ? { provider: o.provider } : {}),
    ...(o.model ? { model: o.model } : {}),
    ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}),
    ...(o.mode ? { mode: o.mode } : {}),
    ...(o.replay ? { replay: o.replay } : {}),
    ...(o.record ? { record: true } : {}),
    ...(o.autoMerge ? { autoMerge: o.autoMerge } : {}),
    ...(o.budgets ? { budgets: o.budgets } : {}),
    ...(o.history?.length ? { history: o.history } : {}),
    ...(o.proposal?.length ? { proposal: o.proposal.slice(-200) } : {}),
    ...(o.continues ? { continues: o.continues } : {}),
    ...(o.sessionId ? { sessionId: o.sessionId } : {}),
    ...(o.chat ? { chat: true } : {}),
  };
}
