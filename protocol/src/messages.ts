// The wire envelope: handshake, requests, responses, cancellation and server-pushed events.
import { z } from 'zod';
import { ErrorPayload } from './errors';

/** Bumped on any incompatible change to the envelope or to an existing method's schemas. */
export const PROTOCOL_VERSION = 1;
export const MAX_ID_LENGTH = 64;
export const MAX_METHOD_LENGTH = 128;

const RequestId = z.string().min(1).max(MAX_ID_LENGTH);

export const Hello = z.object({
  type: z.literal('hello'),
  protocol: z.number().int(),
  client: z.object({ name: z.string().max(128), version: z.string().max(64) }),
  /** Shared secret read from the socket directory; defence in depth next to peer credentials. */
  token: z.string().max(256).optional(),
});
export const Welcome = z.object({
  type: z.literal('welcome'),
  protocol: z.number().int(),
  kernel: z.object({ version: z.string(), pid: z.number().int(), startedAt: z.number() }),
});
export const Request = z.object({
  type: z.literal('request'),
  id: RequestId,
  method: z.string().min(1).max(MAX_METHOD_LENGTH),
  params: z.unknown(),
});
export const Response = z.discriminatedUnion('ok', [
  z.object({ type: z.literal('response'), id: RequestId, ok: z.literal(true), result: z.unknown() }),
  z.object({ type: z.literal('response'), id: RequestId, ok: z.literal(false), error: ErrorPayload }),
]);
export const Cancel = z.object({ type: z.literal('cancel'), id: RequestId });
export const EventMessage = z.object({ type: z.literal('event'), event: z.string().max(MAX_METHOD_LENGTH), data: z.unknown() });
/** A connection-level error (bad frame, bad handshake) not tied to one request. */
export const ErrorMessage = z.object({ type: z.literal('error'), error: ErrorPayload, id: RequestId.optional() });

export const ClientMessage = z.discriminatedUnion('type', [Hello, Request, Cancel]);
export const ServerMessage = z.discriminatedUnion('type', [Welcome, Response, EventMessage, ErrorMessage]);

export type Hello = z.infer<typeof Hello>;
export type Welcome = z.infer<typeof Welcome>;
export type Request = z.infer<typeof Request>;
export type Response = z.infer<typeof Response>;
export type Cancel = z.infer<typeof Cancel>;
export type EventMessage = z.infer<typeof EventMessage>;
export type ClientMessage = z.infer<typeof ClientMessage>;
export type ServerMessage = z.infer<typeof ServerMessage>;
