// Typed reads of the airlock.* settings (secrets are never settings: see commands/setApiKey.ts).
import * as vscode from 'vscode';
import { AgentMode, Budgets, ProviderName } from '../../protocol/src/agent';
import type { ParamsOf } from '../../protocol/src/methods';

export interface AgentSettings {
  provider?: ProviderName;
  model?: string;
  baseUrl?: string;
  /** Replay file (workspace-relative) for the `replay` provider. */
  replayFile?: string;
  mode: AgentMode;
  budgets?: Budgets;
}

export function readAgentSettings(config: Pick<vscode.WorkspaceConfiguration, 'get'> = vscode.workspace.getConfiguration('airlock')): AgentSettings {
  const provider = ProviderName.safeParse(config.get('provider'));
  const mode = AgentMode.safeParse(config.get('defaultMode'));
  const model = config.get<string>('model')?.trim();
  const baseUrl = config.get<string>('baseUrl')?.trim();
  const replayFile = config.get<string>('replay.file')?.trim();
  const positive = (v: unknown) => (typeof v === 'number' && v > 0 ? v : undefined);
  const wallMin = positive(config.get('budget.maxWallMinutes'));
  const budgets = Budgets.parse({
    maxTokens: positive(config.get('budget.maxTokens')),
    maxCostUsd: positive(config.get('budget.maxCostUsd')),
    maxTurns: positive(config.get('budget.maxTurns')),
    maxWallMs: wallMin ? Math.round(wallMin * 60_000) : undefined,
  });
  const hasBudget = Object.values(budgets).some((v) => v !== undefined);
  return {
    provider: provider.success ? provider.data : undefined,
    model: model || undefined,
    baseUrl: baseUrl || undefined,
    replayFile: replayFile || undefined,
    mode: mode.success ? mode.data : 'strict',
    budgets: hasBudget ? budgets : undefined,
  };
}

/** The task/start request for a prompt in a session's mode with the current settings. */
export function taskStartParams(prompt: string, mode: AgentMode, settings: AgentSettings): ParamsOf<'task/start'> {
  // The replay file only matters to the replay provider (and makes it the kernel's default when no provider is set).
  const replay = settings.provider === 'replay' || !settings.provider ? settings.replayFile : undefined;
  const baseUrl = settings.provider === 'openai-compatible' ? settings.baseUrl : undefined; // never send another vendor's key elsewhere
  return { prompt, mode, provider: settings.provider, model: settings.model, baseUrl, budgets: settings.budgets, replay };
}
