// The method map: every RPC method's request and response schema, by domain. Types come from z.infer.
import type { z } from 'zod';
import { kernelMethods } from './kernel';
import { fsMethods } from './fs';
import { agentMethods } from './agent';
import { auditMethods } from './audit';
import { policyMethods } from './policy';
import { reviewMethods } from './review';
import { tasksMethods } from './tasks';
import { workflowMethods } from './workflow';
import { sandboxMethods } from './sandbox';
import { sessionsMethods } from './sessions';
import { externalMethods } from './external';
import { mcpMethods } from './mcp';
import { pluginsMethods } from './plugins';
import { lmMethods } from './lm';

export const methods = {
  ...kernelMethods,
  ...fsMethods,
  ...agentMethods,
  ...auditMethods,
  ...policyMethods,
  ...reviewMethods,
  ...tasksMethods,
  ...workflowMethods,
  ...sandboxMethods,
  ...sessionsMethods,
  ...externalMethods,
  ...mcpMethods,
  ...pluginsMethods,
  ...lmMethods,
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = z.input<Methods[M][0]>;
export type ResultOf<M extends MethodName> = z.infer<Methods[M][1]>;

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name);
}
