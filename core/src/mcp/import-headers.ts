// The `headers` of an imported remote MCP server (.vscode/mcp.json, .mcp.json) as Airlock templates: every variable
// becomes a secret NAME (`${NAME}`, looked up in the environment or the OS keychain when the servers are sent) and a
// literal credential is never copied (its header takes a secret of its own), as env values are not.
import { McpHeaderName } from '../../../protocol/src/methods/mcp';
import { headersRefs } from './header-template';

export interface ImportedHeaders {
  /** Templates: `${NAME}` for each secret. */
  headers: Record<string, string>;
  /** The secret names the templates use. */
  secrets: string[];
  /** Literal credentials that were not copied: header → the secret that now holds its whole value. */
  replaced: Record<string, string>;
  /** Why the server cannot be taken (a header Airlock cannot send as written). */
  skipped?: string;
}

/** Header names whose literal value is a credential: not copied into Airlock's files. */
export const CREDENTIAL = /^(authorization|proxy-authorization|cookie)$|key|token|secret|passw|auth|session|credential|signature/i;
/** `${input:ID}` (VS Code), `${env:NAME}` (VS Code), `${NAME}` and `${NAME:-default}` (Claude Code). */
const VARIABLE = /\$\{([^}]*)\}/g;
/** Claude Code's `${NAME}` and `${NAME:-default}` (the default is not used: the secret must be set). */
const PLAIN = /^([A-Za-z_][A-Za-z0-9_]*)(?::-.*)?$/;

/** A secret name from a VS Code input id or header name (letters, digits and _; not starting with a digit). */
export function secretName(raw: string): string {
  const n = raw.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 127);
  return /^[0-9]/.test(n) || !n ? `_${n}` : n;
}

/**
 * Another client's variables in `value` as Airlock's `${NAME}` secrets; `unknown` is the first one Airlock does not
 * expand (`${workspaceFolder}`, or `${input:…}` outside a `.vscode/mcp.json`).
 */
export function templateVariables(value: string, vscode: boolean): { text: string; unknown?: string } {
  let unknown: string | undefined;
  const text = value.replace(VARIABLE, (whole, inner: string) => {
    const m = /^input:(.+)$/.exec(inner) ?? /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(inner) ?? (vscode ? null : PLAIN.exec(inner));
    if (!m || (m[0].startsWith('input:') && !vscode)) {
      unknown ??= whole;
      return whole;
    }
    return `\${${secretName(m[1])}}`;
  });
  return unknown ? { text, unknown } : { text };
}

/** `vscode`: a `.vscode/mcp.json` (its `${NAME}` are VS Code's own variables, not the environment's). */
export function importHeaders(raw: unknown, vscode: boolean): ImportedHeaders {
  const out: ImportedHeaders = { headers: {}, secrets: [], replaced: {} };
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) return { ...out, skipped: 'its headers are not an object' };
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!McpHeaderName.safeParse(name).success) return { ...out, skipped: `header ${JSON.stringify(name)} cannot be set` };
    if (typeof value !== 'string') return { ...out, skipped: `header ${name} is not a string` };
    const { text: template, unknown } = templateVariables(value, vscode);
    if (unknown) return { ...out, skipped: `header ${name} uses ${unknown}, which Airlock does not expand` };
    if (!value.includes('${') && CREDENTIAL.test(name) && value) {
      const secret = secretName(name.toUpperCase());
      out.headers[name] = `\${${secret}}`;
      out.replaced[name] = secret;
    } else out.headers[name] = template;
  }
  out.secrets = headersRefs(out.headers);
  return out;
}
