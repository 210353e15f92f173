// One tool-definition schema: name, description, zod input (→ JSON schema for the model), capabilities, and its runner.
import { z } from 'zod';
import type { ToolDefinition } from '../../../../protocol/src/agent';
import type { IOutputVolume, ISandboxExec } from '../interfaces';

export interface ToolContext {
  workspace: string;
  taskId: string;
  signal: AbortSignal;
  /** Present when the task has a code-executor sandbox (exec). */
  sandbox?: ISandboxExec;
  /** Present when the task has an output volume (fs.write / fs.edit). */
  output?: IOutputVolume;
  /** What the policy hides from this task (fs.read denied): walking tools skip these files and folders. Absent only
   * outside a task (tests of a tool alone). */
  hidden?: (rel: string, isDir: boolean) => boolean;
}

export interface ToolOutput {
  /** Text the model sees (the router sanitises and truncates it). */
  content: string;
}

export interface ToolSpec<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  input: S;
  /** What the call needs, for policy: fs.read, fs.write, exec, ... */
  capabilities: string[];
  /** True for the kernel-native read-only fast path (no container). */
  native: boolean;
  /** Workspace-relative paths the call touches, for policy and audit. */
  paths?(input: z.infer<S>): string[];
  /** The command line, for exec-like tools. */
  command?(input: z.infer<S>): string | undefined;
  /** The JSON schema the model sees when it is not `input`'s (a tool described by someone else: an MCP server). */
  inputSchema?: Record<string, unknown>;
  /** Extra fields of the call's `tool.decision` audit entry (an MCP call's server, tool and arguments' digest). */
  auditExtra?(input: z.infer<S>): Record<string, unknown>;
  run(input: z.infer<S>, ctx: ToolContext): Promise<ToolOutput>;
}

export function defineTool<S extends z.ZodType>(spec: ToolSpec<S>): ToolSpec<S> {
  return spec;
}

/** Each zod input's JSON schema, made once: every task's router converts the same tools before its first request. */
const schemas = new WeakMap<z.ZodType, Record<string, unknown>>();

/** Wire definition for providers: the zod input as JSON schema (draft 2020-12, as vendors accept it). */
export function toDefinition(spec: ToolSpec): ToolDefinition {
  let made = spec.inputSchema ? undefined : schemas.get(spec.input);
  if (!spec.inputSchema && !made) {
    made = z.toJSONSchema(spec.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete made.$schema;
    schemas.set(spec.input, made);
  }
  // A copy each time: a definition is the caller's to change, the cached schema is not.
  const schema = spec.inputSchema ? { ...spec.inputSchema } : structuredClone(made!);
  delete schema.$schema;
  return { name: spec.name, description: spec.description, inputSchema: schema, capabilities: spec.capabilities };
}
