// The task/start request built from a prompt, the session's mode and the airlock.* settings (pure: unit-tested).
import type { AgentMode } from '../../protocol/src/agent';
import type { ParamsOf } from '../../protocol/src/methods';
import type { AgentSettings } from './settings';

/** The task/start request for a prompt in a session's mode with the current settings. */
export function taskStartParams(prompt: string, mode: AgentMode, settings: AgentSettings): ParamsOf<'task/start'> {
  // The replay file only matters to the replay provider (and makes it the kernel's default when no provider is set).
  const replay = settings.provider === 'replay' || !settings.provider ? settings.replayFile : undefined;
  const baseUrl = settings.provider === 'openai-compatible' ? settings.baseUrl : undefined; // never send another vendor's key elsewhere
  return { prompt, mode, provider: settings.provider, model: settings.model, baseUrl, budgets: settings.budgets, replay };
}
