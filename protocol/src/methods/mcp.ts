// MCP servers as plugins: the host tells the kernel which stdio, streamable-HTTP or remote MCP servers to run (each in
// its own sandbox) and reads their state.
import { z } from 'zod';

/** A server's name: part of its tools' names (`mcp.<server>.<tool>`), its policy resources and its sandbox's subject. */
export const McpServerName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'lower-case letters, digits, _ and -, at most 32');
/** Variables a server gets (values may be secrets from the host's keychain: kept in the kernel's memory only). */
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/);

const FRAMING = ['host', 'connection', 'content-length', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'keep-alive'];
const TRANSPORT_HEADERS = new Set([
  ...FRAMING,
  'proxy-connection',
  'content-type',
  'accept',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
]);
/**
 * A request header a remote server is sent (RFC 9110 token). Headers the transport owns (framing, the MCP session and
 * protocol version, content negotiation) cannot be set.
 */
export const McpHeaderName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/, 'an HTTP header name')
  .refine((h) => !TRANSPORT_HEADERS.has(h.toLowerCase()), 'a header the MCP transport sets itself');

/**
 * One stdio server. `package`: an npm install on the host (`airlock mcp add --npm`), mounted read-only at
 * `/mcp/pkg` in the server's sandbox; its content hash was pinned when it was added and is checked in the sandbox
 * before every start. Without a package the command must exist in the sandbox image (e.g. `node`).
 */
export const McpServerConfig = z
  .object({
    name: McpServerName,
    /** The program the sandbox runs (a stdio server, or an HTTP one with `http`); absent for a remote server (`url`). */
    command: z.string().min(1).max(4096).optional(),
    args: z.array(z.string().max(10_000)).max(256).default([]),
    env: z.record(EnvName, z.string().max(64 * 1024)).default({}),
    package: z
      .object({
        /** The install folder on the engine's host (absolute, no `..`). */
        hostDir: z
          .string()
          .startsWith('/')
          .max(4096)
          .refine((p) => !p.split('/').includes('..'), 'no .. segments'),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
      })
      .optional(),
    /**
     * A streamable-HTTP server: the command starts it in the sandbox, listening on this port of the sandbox's own
     * loopback (the sandbox has no network); the kernel reaches it through a relay it runs in the sandbox per connection.
     * Absent: a stdio server.
     */
    http: z
      .object({
        port: z.number().int().min(1).max(65535),
        path: z
          .string()
          .max(1024)
          .regex(/^\/[A-Za-z0-9/._~!$&'()*+,;=:@%-]*$/, 'a URL path starting with /')
          .default('/mcp'),
      })
      .strict()
      .optional(),
    /**
     * A remote streamable-HTTP server (https:// or http://, no user:password@). A token the server takes in its URL is a
     * template, `${NAME}` in the path or query, replaced in the kernel by `env[NAME]` (https only; recorded as the
     * template). Nothing of it runs here: its sandbox only relays, and every connection goes through the egress proxy
     * judged as `plugin:mcp:<server>`.
     */
    url: z
      .string()
      .max(2048)
      .url()
      .refine((u) => /^https?:\/\//.test(u) && !/^https?:\/\/[^/]*@/.test(u), 'an http(s) URL without user:password@')
      // A secret may be in its path or query (`?key=${KEY}`, substituted in the kernel), never pick its host.
      .refine((u) => !/^https?:\/\/[^/?#]*\$\{/.test(u), 'no ${NAME} in the host of a URL')
      .optional(),
    /**
     * A remote server's protocol: `http` streamable HTTP only, `sse` the older HTTP+SSE transport; absent, streamable
     * HTTP falling back to SSE when its `initialize` is answered 404 or 405 (the MCP specification's compatibility rule).
     */
    transport: z.enum(['http', 'sse']).optional(),
    /**
     * Request headers of a remote server (an `Authorization` token), as templates: `${NAME}` is replaced in the kernel by
     * `env[NAME]` (a secret from the host's keychain or environment, kept in memory). https URLs only; never recorded.
     */
    headers: z.record(McpHeaderName, z.string().max(8192)).optional(),
    /** Extra CA certificates (PEM) a remote https server's certificate may chain to, besides the system's. */
    ca: z
      .string()
      .max(256 * 1024)
      .optional(),
    /** One call's limit; a server that does not answer in time is marked failed and its sandbox destroyed. */
    callTimeoutMs: z
      .number()
      .int()
      .positive()
      .max(10 * 60_000)
      .default(60_000),
  })
  .strict()
  .refine((c) => !!c.command !== !!c.url, 'a server has either a command (run in its sandbox) or a url (remote), not both')
  .refine((c) => !c.url || (!c.http && !c.package && !c.args.length), 'a remote server (url) has no http port, package or args')
  .refine((c) => !!c.url || (!c.transport && !c.headers && c.ca === undefined), 'transport, headers and ca are for remote servers (url)')
  .refine((c) => !c.url || !c.headers || !Object.keys(c.headers).length || c.url.startsWith('https://'), 'headers are sent over https only')
  .refine((c) => !c.url || !/\$\{[A-Za-z_]/.test(c.url) || c.url.startsWith('https://'), 'a secret in a URL is sent over https only');
export type McpServerConfig = z.infer<typeof McpServerConfig>;

export const McpServerStateName = z.enum(['starting', 'ready', 'failed', 'stopped']);
export const McpServerState = z.object({
  name: McpServerName,
  state: McpServerStateName,
  /** Why it failed or stopped. */
  reason: z.string().optional(),
  /** The agent-facing tool names (`mcp.<server>.<tool>`) while ready. */
  tools: z.array(z.string()),
  sandbox: z.string().optional(),
});
export type McpServerState = z.infer<typeof McpServerState>;

export const mcpMethods = {
  /**
   * Replaces the kernel's set of MCP servers: servers no longer listed (or changed) are stopped, new ones started in
   * their sandboxes. Answers once every server is ready or failed. Managed settings' `mcp.servers` allow-list refuses
   * the whole request when a server is not on it.
   */
  'mcp/configure': [z.object({ servers: z.array(McpServerConfig).max(32) }), z.object({ servers: z.array(McpServerState) })],
  /** The servers and their state (a crashed or hung server shows `failed` with the reason). */
  'mcp/list': [z.object({}), z.object({ servers: z.array(McpServerState) })],
} as const;
