// Shared by the egress tests: a policy with one allowed, one denied, one private and one ask name; test servers on
// loopback; a resolver that knows only the test names; an audit log in memory (or one that fails).
import * as http from 'node:http';
import * as net from 'node:net';
import type { AuditInput } from '../../../protocol/src/audit';
import type { AuditAppender } from '../../../kernel/src/audit/record';
import { PolicyEngine } from '../../../core/src/policy/engine';
import { parsePolicyText } from '../../../core/src/policy/loader';

export const POLICY = `version: 1
rules:
  - { id: allowed-net, effect: allow, actions: [net.connect], resources: ["allowed.test:*"] }
  - { id: allowed-private, effect: allow, actions: [net.private], resources: ["allowed.test:*"] }
  - { id: private-net, effect: allow, actions: [net.connect], resources: ["private.test:*"] }
  - { id: ask-net, effect: ask, actions: [net.connect], resources: ["ask.test:*"] }
  - { id: ask-private, effect: allow, actions: [net.private], resources: ["ask.test:*"] }
  - { id: denied-net, effect: deny, actions: [net.connect], resources: ["denied.test:*"] }
  - { id: any-literal, effect: allow, actions: [net.connect], resources: ["*:*"] }
  - { id: named-literal, effect: allow, actions: [net.private], resources: ["127.0.0.2:*"] }
`;

export function testPolicy(): PolicyEngine {
  const e = new PolicyEngine({ mode: 'explore' });
  e.loadParsed(() => [parsePolicyText(POLICY, 'egress-test.yaml')]);
  return e;
}

/** Every test name answers with the loopback address its server listens on; anything else does not resolve. */
export const testResolver = (host: string): Promise<string[]> => {
  const table: Record<string, string[]> = {
    'allowed.test': ['127.0.0.1'],
    'private.test': ['127.0.0.1'],
    'ask.test': ['127.0.0.1'],
    'denied.test': ['127.0.0.1'],
    'mixed.test': ['8.8.8.8', '10.0.0.1'],
    'local.test': ['127.0.0.1'],
    'metadata.test': ['169.254.169.254'],
  };
  const a = table[host];
  return a ? Promise.resolve(a) : Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
};

export class MemoryAudit {
  readonly entries: AuditInput[] = [];
  fail = false;
  readonly source = (): AuditAppender => ({
    append: ((input: AuditInput, opts?: { sync?: boolean }) => {
      if (this.fail) {
        if (opts?.sync) return Promise.reject(new Error('disk full'));
        throw new Error('disk full');
      }
      this.entries.push(input);
      return opts?.sync ? Promise.resolve({}) : {};
    }) as AuditAppender['append'],
  });
  of(action: string): AuditInput[] {
    return this.entries.filter((e) => e.action === action);
  }
}

/** An HTTP server on 127.0.0.1 that answers `hello <path> host=<Host>`; counts the TCP connections it accepted. */
export async function helloServer(bytes = 0): Promise<{ server: http.Server; port: number; connections: () => number }> {
  let n = 0;
  const body = bytes ? Buffer.alloc(bytes, 120) : undefined;
  const server = http.createServer((q, r) => {
    if (body && q.url === '/big') {
      r.setHeader('content-length', body.length);
      r.end(body);
      return;
    }
    r.end(`hello ${q.url} host=${q.headers.host}`);
  });
  server.on('connection', () => {
    n++;
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return { server, port: (server.address() as net.AddressInfo).port, connections: () => n };
}

/** Sends raw bytes to a unix socket and returns everything that comes back until the other side closes. */
export function rawExchange(socketPath: string, data: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    const chunks: Buffer[] = [];
    const t = setTimeout(() => {
      s.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    }, timeoutMs);
    s.on('data', (d) => chunks.push(d));
    s.on('close', () => {
      clearTimeout(t);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    s.on('error', reject);
    s.write(data);
  });
}
