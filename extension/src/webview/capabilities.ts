// What the running kernel's protocol offers: views call optional methods through here and show "not available" otherwise.
import { ErrorCodes } from '../../../protocol/src/errors';
import { EventName, isEventName } from '../../../protocol/src/events';
import type { IDisposable } from '../../../protocol/src/lifecycle';
import { isMethodName, methods } from '../../../protocol/src/methods';
import type { RequestOptions, RpcClient } from '../../../protocol/src/rpc-client';

export const NOT_AVAILABLE = 'not available in this kernel';

export function hasMethod(name: string): boolean {
  return isMethodName(name);
}

/** Calls a method this build of the protocol may not define yet; the kernel's result is validated by the client. */
export async function requestOptional<T>(client: RpcClient, method: string, params: unknown, options?: RequestOptions): Promise<{ ok: true; value: T } | { ok: false; reason: string }> {
  if (!isMethodName(method)) return { ok: false, reason: `${method}: ${NOT_AVAILABLE}` };
  try {
    const value = await (client.request as (m: string, p: unknown, o?: RequestOptions) => Promise<unknown>)(method, params, options);
    return { ok: true, value: value as T };
  } catch (err) {
    if ((err as { code?: string }).code === ErrorCodes.UnknownMethod) return { ok: false, reason: `${method}: ${NOT_AVAILABLE}` };
    throw err;
  }
}

/** Subscribes to an event the protocol may not define yet; returns undefined when it does not. */
export function onOptionalEvent(client: RpcClient, name: string, listener: (data: unknown) => void): IDisposable | undefined {
  if (!isEventName(name)) return undefined;
  return client.onEvent(name as EventName, listener as never);
}

/** The `decision` values task/approve accepts, read from its schema, so the UI offers only answers the kernel knows. */
export function approvalDecisions(): string[] {
  const schema = methods['task/approve'][0] as unknown as { shape?: { decision?: { options?: unknown } } };
  const options = schema.shape?.decision?.options;
  return Array.isArray(options) ? options.filter((o): o is string => typeof o === 'string') : [];
}
