// Errors that cross every boundary: a stable code, a human message and a hint that says what to do.
import { z } from 'zod';

export const ErrorPayload = z.object({
  code: z.string().min(1),
  message: z.string(),
  hint: z.string().optional(),
  details: z.unknown().optional(),
});
export type ErrorPayload = z.infer<typeof ErrorPayload>;

/** Well-known error codes. Modules may add their own `DOMAIN_WHAT` codes; these are shared ones. */
export const ErrorCodes = {
  BadFrame: 'IPC_BAD_FRAME',
  FrameTooLarge: 'IPC_FRAME_TOO_LARGE',
  BadMessage: 'IPC_BAD_MESSAGE',
  ProtocolMismatch: 'IPC_PROTOCOL_MISMATCH',
  Unauthorized: 'IPC_UNAUTHORIZED',
  UnknownMethod: 'RPC_UNKNOWN_METHOD',
  BadParams: 'RPC_BAD_PARAMS',
  BadResult: 'RPC_BAD_RESULT',
  Cancelled: 'RPC_CANCELLED',
  Timeout: 'RPC_TIMEOUT',
  ConnectionClosed: 'RPC_CONNECTION_CLOSED',
  Internal: 'INTERNAL',
  PathOutsideWorkspace: 'FS_PATH_OUTSIDE_WORKSPACE',
  NotFound: 'FS_NOT_FOUND',
  PolicyDenied: 'POLICY_DENIED',
  Config: 'CONFIG_INVALID',
  NoRuntime: 'RUNTIME_NOT_FOUND',
  KernelStart: 'KERNEL_START_FAILED',
  KernelUnhealthy: 'KERNEL_UNHEALTHY',
} as const;

export class AirlockError extends Error {
  override readonly name = 'AirlockError';
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message, hint: this.hint, details: this.details };
  }

  static fromPayload(p: ErrorPayload): AirlockError {
    return new AirlockError(p.code, p.message, p.hint, p.details);
  }

  /** Wraps anything thrown into an AirlockError without losing the original message. */
  static from(err: unknown, code: string = ErrorCodes.Internal, hint?: string): AirlockError {
    if (err instanceof AirlockError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new AirlockError(code, message, hint);
  }
}

/** One-line-per-field rendering for terminals and logs: `error CODE: message` + `hint: ...`. */
/** One display standard for every surface: code, message, hint; with `verbose`, the details (and a stack for bugs). */
export function formatError(err: unknown, opts: { verbose?: boolean } = {}): string {
  const e = AirlockError.from(err);
  const lines = [`error ${e.code}: ${e.message}`];
  if (e.hint) lines.push(`  hint: ${e.hint}`);
  if (opts.verbose) {
    if (e.details !== undefined) lines.push(`  details: ${JSON.stringify(e.details, null, 2).replace(/\n/g, '\n  ')}`);
    const stack = err instanceof Error && !(err instanceof AirlockError) ? err.stack : e.code === ErrorCodes.Internal ? e.stack : undefined;
    if (stack)
      lines.push(
        `  stack: ${stack
          .split('\n')
          .slice(1)
          .map((l) => l.trim())
          .join('\n         ')}`,
      );
  }
  return lines.join('\n');
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as AirlockError).code === ErrorCodes.Cancelled);
}

export function cancelledError(what = 'request'): AirlockError {
  return new AirlockError(ErrorCodes.Cancelled, `${what} was cancelled`);
}

/** The first few zod issues as one line (`path: message; ...`), for error messages at every boundary. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
