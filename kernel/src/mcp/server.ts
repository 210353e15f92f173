// One MCP server in its own sandbox, stdio or streamable HTTP (on the sandbox's loopback, reached through a relay):
// started (package identity checked first), its tools listed, called with a deadline; a server that crashes, hangs or
// breaks the protocol is marked failed and its sandbox destroyed.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { AirlockError, isAbortError } from '../../../protocol/src/errors';
import type { McpServerConfig, McpServerState } from '../../../protocol/src/methods/mcp';
import { CONTENT_HASH_PROGRAM } from '../../../core/src/mcp/content-hash';
import type { SandboxService } from '../runtime/no-sandboxes';
import { type ConnectSandbox, HASH_TIMEOUT_MS, httpTransport, type HttpProcess, remoteServerTransport, START_TIMEOUT_MS } from './connect';
import { engineAt, type EngineExecStream } from './exec-stream';
import { sandboxProcess } from './socket-exec';
import { hashRefusal, identityFailure, verifiedNodeArgs } from './identity';
import { toolInfos, type McpCaller, type McpToolInfo } from './tools';
import { SandboxStdioTransport } from './transport';
import { remoteRecord } from './remote';

export const MCP_TEMPLATE = 'mcp-server';
/** Where an installed package is mounted in the server's sandbox (read-only). */
export const MCP_PACKAGE_DIR = '/mcp/pkg';
const MAX_TOOL_PAGES = 8;

export type McpSandboxes = Pick<SandboxService, 'create' | 'exec' | 'stdioFolder' | 'destroy' | 'runtime' | 'templates'>;
/** Lifecycle records (`mcp.server.*`, subject `plugin:mcp:<server>`): durable before the state they announce counts. */
export type McpRecord = (action: string, server: string, payload: Record<string, unknown>) => Promise<void>;
/** Who else runs a stdio server this way (tool plugins, kernel/src/plugins/): their template and scheduler task. */
export interface McpRunOptions {
  template?: string;
  task?: string;
}

export class McpServerRun implements McpCaller {
  private st: McpServerState['state'] = 'starting';
  private why?: string;
  private sandbox?: string;
  private client?: Client;
  private proc?: EngineExecStream;
  private list: McpToolInfo[] = [];
  /** Set when the stream closed: finding out why (exit code, stderr) takes an engine call that a failed call awaits. */
  private dying?: Promise<void>;
  /** The pinned hash when the server's own node process checks its package before loading it (identity.ts). */
  private checkedInProcess?: string;
  /** A remote server's refusal (tunnel, TLS, 401/403): the reason a start or call failed, clearer than the SDK's. */
  private refused?: AirlockError;
  /** Serialises calls: one stdio server answers in any order, but its state must not be judged mid-call by another. */
  readonly started: Promise<void>;

  constructor(
    readonly config: McpServerConfig,
    private readonly sandboxes: McpSandboxes,
    private readonly record: McpRecord,
    private readonly version: string,
    private readonly opts: McpRunOptions = {},
  ) {
    this.started = this.start().catch(async (err) => {
      // A server that ended before it answered may have been stopped by its package check: that is the reason.
      const why = (await this.identityError()) ?? this.refused ?? AirlockError.from(err, 'MCP_SERVER_START_FAILED');
      await this.fail(why.message);
    });
  }

  get name(): string {
    return this.config.name;
  }
  private get template(): string {
    return this.opts.template ?? MCP_TEMPLATE;
  }
  /** The last lines the server wrote to stderr (a plugin's log). */
  stderrTail(): string {
    return this.proc?.stderrTail() ?? '';
  }
  get state(): McpServerState['state'] {
    return this.st;
  }
  get tools(): readonly McpToolInfo[] {
    return this.st === 'ready' ? this.list : [];
  }

  info(): McpServerState {
    return {
      name: this.name,
      state: this.st,
      ...(this.why ? { reason: this.why } : {}),
      tools: this.tools.map((t) => t.name),
      ...(this.sandbox ? { sandbox: this.sandbox } : {}),
    };
  }

  private async start(): Promise<void> {
    const c = this.config;
    await this.record('mcp.server.start', c.name, {
      command: c.command ?? null,
      args: c.args,
      env: Object.keys(c.env).sort(),
      package: c.package ?? null,
      transport: c.url ? remoteRecord(c) : c.http ? { type: 'http', ...c.http } : { type: 'stdio' },
    });
    const sb = await this.sandboxes.create({
      template: this.template,
      task: this.opts.task ?? `mcp:${c.name}`,
      volumes: ['/out'],
      mounts: c.package ? [{ type: 'bind', source: c.package.hostDir, target: MCP_PACKAGE_DIR, readOnly: true }] : [],
    });
    this.sandbox = sb.id;
    if (this.st !== 'starting') return this.stopSandbox();
    // A node server checks its package in its own process before loading it (identity.ts); any other, in an exec first.
    const verified = c.package && !c.url && c.command === 'node' ? verifiedNodeArgs(MCP_PACKAGE_DIR, c.package.sha256, c.args) : undefined;
    if (c.package && !verified) await this.checkIdentity(c.package.sha256);
    if (verified) this.checkedInProcess = c.package!.sha256;
    const args = verified ?? c.args;
    const t = this.sandboxes.templates.get(this.template)!;
    let transport: Transport;
    const at: ConnectSandbox = { name: c.name, sandboxes: this.sandboxes, sandbox: sb.id, containerId: sb.containerId!, user: t.user };
    if (c.url)
      transport = await remoteServerTransport(at, c, (e) => {
        this.refused = e; // the latest: a refused call earlier must not explain a later end
      });
    else {
      // A stdio server's messages go over a socket of its own (no engine hop); an HTTP server's stdout is not its transport.
      const docker = engineAt(this.sandboxes.runtime.socketPath);
      const where = { containerId: sb.containerId!, stdioFolder: c.http ? undefined : this.sandboxes.stdioFolder(sb.id) };
      this.proc = await sandboxProcess(docker, where, [c.command!, ...args], { user: t.user, env: c.env, workingDir: t.workdir });
      transport = c.http ? await httpTransport(at, this.httpProcess(), c.http) : new SandboxStdioTransport(this.proc.stdio);
    }
    const client = new Client({ name: 'airlock', version: this.version });
    // A process of ours that ends says why (exit code, stderr); a remote server has none: its connect error is the reason.
    const onclose = () => {
      this.dying ??= this.died();
    };
    if (!c.url) client.onclose = onclose;
    this.client = client;
    // The package check runs before the server can answer `initialize`: it keeps the time a hashing exec had.
    await client.connect(transport, { timeout: START_TIMEOUT_MS + (verified ? HASH_TIMEOUT_MS : 0) });
    client.onclose = onclose;
    const tools: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const r = await client.listTools(cursor ? { cursor } : {}, { timeout: START_TIMEOUT_MS });
      tools.push(...r.tools);
      cursor = r.nextCursor;
      if (!cursor) break;
    }
    const { tools: infos, dropped } = toolInfos(c.name, tools);
    if (this.st !== 'starting') return;
    this.list = infos;
    await this.record('mcp.server.ready', c.name, { sandbox: sb.id, tools: infos.map((i) => i.remote), dropped });
    this.st = 'ready';
  }

  /** The HTTP server's process as the port probing sees it: while it starts, and its end (the server died). */
  private httpProcess(): HttpProcess {
    return {
      proc: this.proc!,
      checkedInProcess: !!this.checkedInProcess,
      starting: () => this.st === 'starting',
      ended: () => {
        this.dying ??= this.died();
      },
    };
  }

  /** What runs is what was pinned: the package folder is hashed inside the sandbox, over the mount the server reads. */
  private async checkIdentity(pinned: string): Promise<void> {
    const r = await this.sandboxes.exec(this.sandbox!, {
      argv: ['node', '-e', CONTENT_HASH_PROGRAM, MCP_PACKAGE_DIR],
      timeoutMs: HASH_TIMEOUT_MS,
    });
    const refused = hashRefusal(this.name, pinned, r);
    if (refused) throw refused;
  }

  async call(tool: string, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult> {
    await this.started;
    const client = this.client;
    if (this.st !== 'ready' || !client) {
      throw new AirlockError(
        'MCP_SERVER_FAILED',
        `MCP server ${this.name} is ${this.st}${this.why ? `: ${this.why}` : ''}`,
        "continue without this server's tools; `airlock mcp list` shows why, and reconfiguring restarts it",
      );
    }
    try {
      return (await client.callTool({ name: tool, arguments: args }, undefined, {
        signal,
        timeout: this.config.callTimeoutMs,
      })) as CallToolResult;
    } catch (err) {
      if (signal.aborted || isAbortError(err)) throw err;
      if ((err as { code?: number }).code === -32000) await (this.dying ??= this.died()); // the SDK's "connection closed"
      if ((err as { code?: number }).code === -32001) {
        // the SDK's request timeout
        await this.fail(`did not answer a call of ${tool} within ${this.config.callTimeoutMs} ms`);
        throw new AirlockError(
          'MCP_SERVER_HUNG',
          `MCP server ${this.name} did not answer ${tool} within ${this.config.callTimeoutMs} ms; it was stopped`,
          "continue without this server's tools",
        );
      }
      if (this.dying) await this.dying; // an HTTP server's process ended during the call: its reason first
      if (this.st !== 'ready') {
        throw new AirlockError(
          'MCP_SERVER_FAILED',
          `MCP server ${this.name} failed during ${tool}: ${this.why ?? (err as Error).message}`,
          "continue without this server's tools",
        );
      }
      throw AirlockError.from(err, 'MCP_CALL_FAILED');
    }
  }

  /**
   * Why the package check in the server's process refused to load it, once that process ended; undefined when the
   * check is not in the process, or passed (then the server itself failed).
   */
  private async identityError(): Promise<AirlockError | undefined> {
    const pinned = this.checkedInProcess;
    if (!pinned || !this.proc) return undefined;
    await this.proc.exitCode(); // an engine call: by its answer the process's last stderr has arrived
    return identityFailure(this.name, pinned, this.proc.stderrTail());
  }

  /** The server's stream ended: a crash unless we stopped it. */
  private async died(): Promise<void> {
    if (this.st === 'failed' || this.st === 'stopped') return;
    const refused = await this.identityError();
    if (refused) return this.fail(refused.message);
    // A remote server has no process: why its connection closed (its SSE stream ended) is what remote.ts said.
    if (this.config.url) return this.fail(this.refused?.message ?? 'the connection to the remote server closed');
    const code = await this.proc?.exitCode();
    const said = this.proc?.stderrTail().trim().split('\n').slice(-3).join(' | ').slice(0, 500);
    await this.fail(
      `the server exited${code === null || code === undefined ? '' : ` with code ${code}`}${said ? ` (stderr: ${said})` : ''}`,
    );
  }

  private async fail(reason: string): Promise<void> {
    if (this.st === 'failed' || this.st === 'stopped') return;
    this.st = 'failed';
    // A server's stderr or an error text may carry the values it was given: never recorded or shown.
    for (const v of Object.values(this.config.env)) if (v.length >= 4) reason = reason.split(v).join('[REDACTED]');
    this.why = reason;
    await this.record('mcp.server.failed', this.name, { sandbox: this.sandbox ?? null, reason }).catch(() => undefined);
    await this.teardown(reason);
  }

  async stop(reason = 'stopped'): Promise<void> {
    if (this.st === 'stopped') return;
    const was = this.st;
    this.st = 'stopped';
    if (was !== 'failed') this.why = reason;
    await this.record('mcp.server.stop', this.name, { sandbox: this.sandbox ?? null, reason }).catch(() => undefined);
    await this.teardown(reason);
  }

  private async teardown(reason: string): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.onclose = undefined;
      await client.close().catch(() => undefined);
    }
    await this.stopSandbox(reason);
  }

  private async stopSandbox(reason = 'stopped'): Promise<void> {
    const id = this.sandbox;
    if (id) await this.sandboxes.destroy(id, `MCP server ${this.name}: ${reason}`).catch(() => undefined);
  }
}
