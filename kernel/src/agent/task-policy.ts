// A task's policy view: the engine for its mode, plus "allow for this session" grants carried as capability tokens.
import * as fs from 'node:fs';
import type { Decision, PolicyRequestInput } from '../../../protocol/src/policy';
import { assets } from '../../../protocol/src/node/assets';
import { createDefaultPolicyEngine } from '../../../core/src/policy/defaults';
import type { IPolicyEngine } from '../../../core/src/policy/engine';
import type { TokenService } from '../../../core/src/policy/tokens';
import { grantsHosts } from '../egress/grant';
import { toolPolicy } from './adapters';
import { hiddenCheck, type HiddenCheck } from './hidden';
import type { IPolicy, ToolPolicyRequest } from './interfaces';

type Engine = {
  evaluateAsync(r: PolicyRequestInput, signal?: AbortSignal): Promise<Decision>;
  evaluate(r: PolicyRequestInput, opts?: { walked?: boolean }): Decision;
} & Pick<IPolicyEngine, 'allowsAny'>;
interface Scope {
  action: string;
  resource: string;
}
const TOKEN_TTL_MS = 10 * 60_000;

/** The kernel's engine serves its own mode; other modes get their default policy, loaded once, sharing the token key. */
export class ModeEngines {
  private readonly engines = new Map<string, IPolicyEngine>();
  constructor(
    private readonly o: {
      kernel: IPolicyEngine;
      kernelMode: string;
      customPolicy: boolean;
      tokens: TokenService;
      workspace: string;
      stateDir: string;
    },
  ) {}

  for(mode: string | undefined): IPolicyEngine {
    if (!mode || mode === this.o.kernelMode || this.o.customPolicy) return this.o.kernel;
    let e = this.engines.get(mode);
    if (!e) {
      e = createDefaultPolicyEngine(mode, {
        tokens: this.o.tokens,
        workspace: fs.realpathSync(this.o.workspace),
        stateDir: this.o.stateDir,
        kernelDir: assets().kernelDir,
      });
      this.engines.set(mode, e);
    }
    return e;
  }

  dispose(): void {
    for (const e of this.engines.values()) e.dispose();
    this.engines.clear();
  }
}

/**
 * toolPolicy() plus session grants. A request the engine answers `ask` and a grant covers is asked again carrying a
 * freshly minted single-use token scoped to subject + action + resource, so the engine itself turns it into allow
 * (and a deny stays a deny). The scopes of every `ask` are remembered per call so task/approve can grant them.
 */
export class TaskPolicy implements IPolicy {
  private readonly grants: Scope[] = [];
  private readonly asked = new Map<string, Scope[]>();
  private view?: { sizeOf(p: string): number | undefined };

  constructor(
    private readonly o: {
      engine: Engine;
      tokens: TokenService;
      taskId: string;
      mode?: string;
      workspace: string;
      key: (tool: string, input: unknown) => string;
    },
  ) {}

  async evaluate(req: ToolPolicyRequest) {
    const asks: Scope[] = [];
    const subject = `agent:${this.o.taskId}`;
    const engine: Pick<Engine, 'evaluateAsync'> = {
      evaluateAsync: async (r, signal) => {
        let d = await this.o.engine.evaluateAsync(r, signal);
        if (d.decision === 'ask' && this.grants.some((g) => g.action === r.action && g.resource === r.resource)) {
          const token = this.o.tokens.issue({ subject, action: r.action, resource: r.resource, ttlMs: TOKEN_TTL_MS });
          const withToken = await this.o.engine.evaluateAsync({ ...r, context: { ...r.context, token } }, signal);
          // A token whose pattern does not cover the canonical resource is refused: then the person is asked again.
          if (withToken.decision === 'allow') d = withToken;
        }
        if (d.decision === 'ask') asks.push({ action: r.action, resource: r.resource });
        return d;
      },
    };
    const d = await toolPolicy(engine, {
      mode: this.o.mode,
      subjectId: this.o.taskId,
      workspace: this.o.workspace,
      view: this.view,
    }).evaluate(req);
    if (d.decision === 'ask') this.asked.set(this.o.key(req.tool, req.input), asks);
    return d;
  }

  /** What this task's agent may not read, judged by the engine per path (native tools skip it, sandboxes mask it). */
  hidden(): HiddenCheck {
    return hiddenCheck(this.o.engine, this.o.taskId, this.o.mode);
  }

  /** Whether this task's commands get the egress proxy: its policy allows `net.connect` to some host for its agent. */
  grantsHosts(): boolean {
    return grantsHosts(this.o.engine, this.o.taskId, this.o.mode);
  }

  /** Sizes for `max_size` rules come from the task's view once it has one (a file its sandbox made is judged too). */
  useView(view: { sizeOf(p: string): number | undefined }): void {
    this.view = view;
  }

  /** The scopes the call with this tool and (sanitised) input was asked about. */
  askedScopes(tool: string, input: unknown): Scope[] {
    return [...(this.asked.get(this.o.key(tool, input)) ?? [])];
  }

  /** Whether an "allow for this session" answer covers exactly this action and resource. */
  granted(action: string, resource: string): boolean {
    return this.grants.some((g) => g.action === action && g.resource === resource);
  }

  /** Grants these scopes for the rest of this task (after the grant is recorded). */
  grant(scopes: readonly Scope[]): void {
    for (const s of scopes) if (!this.grants.some((g) => g.action === s.action && g.resource === s.resource)) this.grants.push(s);
  }
}
