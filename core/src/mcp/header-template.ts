// Request headers of remote MCP servers as templates: `${NAME}` names a secret (looked up on the host, carried in memory,
// substituted in the kernel); nothing else is expanded, so a stored template never holds a value.
import { createHash } from 'node:crypto';
import { AirlockError } from '../../../protocol/src/errors';

export const REF = /\$\{([A-Za-z_][A-Za-z0-9_]{0,127})\}/g;
/** A value may not break out of its header line (a secret with a newline would inject headers). */
const SAFE_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The secret names a template refers to, in order, without repeats. */
export function headerRefs(template: string): string[] {
  return [...new Set([...template.matchAll(REF)].map((m) => m[1]))];
}

/** Every secret name the headers refer to. */
export function headersRefs(headers: Record<string, string> | undefined): string[] {
  return [...new Set(Object.values(headers ?? {}).flatMap(headerRefs))];
}

/** `where`: what needs the secrets (`header Authorization`, `its URL`). */
export function missingSecret(server: string, where: string, names: string[]): AirlockError {
  return new AirlockError(
    'MCP_SECRET_MISSING',
    `MCP server ${server}: ${where} needs ${names.join(', ')}, which ${names.length > 1 ? 'are' : 'is'} not set`,
    `set ${names.join(', ')} in the environment of airlock (or VS Code), or store ${names.length > 1 ? 'them' : 'it'} in the ` +
      `OS keychain: \`airlock mcp add ${server} --url … --secret ${names[0]}\` asks for it on a terminal (docs/mcp.md)`,
  );
}

/** The headers with every `${NAME}` replaced by `values[NAME]`; a name without a value, or an unsafe value, throws. */
export function resolveHeaders(
  server: string,
  headers: Record<string, string> | undefined,
  values: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, template] of Object.entries(headers ?? {})) {
    const missing = headerRefs(template).filter((r) => !values[r]);
    if (missing.length) throw missingSecret(server, `header ${name}`, missing);
    const value = template.replace(REF, (_, r: string) => values[r]);
    if (!SAFE_VALUE.test(value)) {
      throw new AirlockError(
        'MCP_HEADER_INVALID',
        `MCP server ${server}: header ${name} would contain a line break or control character`,
        `check the secrets it uses (${headerRefs(template).join(', ') || 'none'}): a token is one line`,
      );
    }
    out[name] = value;
  }
  return out;
}

/** What the audit log keeps of a header value: its digest, never the value. */
export function headerDigests(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = `sha256:${createHash('sha256').update(v).digest('hex')}`;
  return out;
}
