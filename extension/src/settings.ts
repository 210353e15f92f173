// Typed reads of the airlock.* settings (secrets are never settings: see commands/setApiKey.ts).
import * as vscode from 'vscode';
import { AgentMode, Budgets, ProviderName } from '../../protocol/src/agent';

export interface AgentSettings {
  provider?: ProviderName;
  model?: string;
  baseUrl?: string;
  /** Replay file (workspace-relative) for the `replay` provider. */
  replayFile?: string;
  mode: AgentMode;
  budgets?: Budgets;
}

export function readAgentSettings(
  config: Pick<vscode.WorkspaceConfiguration, 'get'> = vscode.workspace.getConfiguration('airlock'),
): AgentSettings {
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
