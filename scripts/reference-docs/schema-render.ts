// Renders a zod schema (through z.toJSONSchema) as markdown field tables: field, type, required, constraints, description.
import { z } from 'zod';

/** The JSON-schema subset z.toJSONSchema emits for the protocol's schemas. */
export interface Json {
  $ref?: string;
  type?: string;
  const?: unknown;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, Json>;
  required?: string[];
  items?: Json;
  prefixItems?: Json[];
  additionalProperties?: Json | boolean;
  propertyNames?: Json;
  anyOf?: Json[];
  oneOf?: Json[];
  allOf?: Json[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  $defs?: Record<string, Json>;
}

/** Field descriptions from the sources' JSDoc, by field name, for objects whose own keys include it (see api.ts). */
export type FieldDocs = (keys: string[], field: string) => string | undefined;

export function toJson(schema: z.ZodType, io: 'input' | 'output', names: z.core.$ZodRegistry<{ id: string }>): Json {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any', metadata: names, target: 'draft-2020-12' }) as Json;
}

/** Type headings read `Type \`Name\``, so their anchors never collide with a method's (`audit/head` vs AuditHead). */
export const typeHeading = (name: string) => `Type \`${name}\``;
export const typeLink = (name: string) => `[${name}](#type-${name.toLowerCase().replace(/[^a-z0-9-]/g, '')})`;
const refName = (ref: string) => ref.replace(/^#\/\$defs\//, '');
const lit = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));
const SAFE = Number.MAX_SAFE_INTEGER;

/** A one-line type: `string`, `'a' \| 'b'`, `ToolCall[]`, `Record<string, integer>`, `object` (its fields follow). */
export function typeOf(s: Json): string {
  if (s.$ref) return typeLink(refName(s.$ref));
  if (s.const !== undefined) return lit(s.const);
  if (s.enum) return s.enum.map(lit).join(' \\| ');
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return alts.map(typeOf).join(' \\| ');
  if (s.allOf) return s.allOf.map(typeOf).join(' & ');
  switch (s.type) {
    case 'array':
      return s.prefixItems ? `[${s.prefixItems.map(typeOf).join(', ')}]` : `${wrap(typeOf(s.items ?? {}))}[]`;
    case 'object':
      if (s.properties) return 'object';
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        return `Record<${s.propertyNames ? typeOf(s.propertyNames) : 'string'}, ${typeOf(s.additionalProperties)}>`;
      }
      return 'object';
    case undefined:
      return 'unknown';
    default:
      return s.format ? `${s.type} (${s.format})` : s.type;
  }
}
const wrap = (t: string) => (t.includes('\\|') ? `(${t})` : t);

/** Bounds, pattern and default, in words short enough for a table cell. */
export function constraints(s: Json): string {
  const out: string[] = [];
  const alts = s.anyOf ?? s.oneOf;
  if (alts?.length === 2 && alts.some((a) => a.type === 'null')) return constraints(alts.find((a) => a.type !== 'null')!);
  if (s.minLength !== undefined && s.minLength > 0) out.push(`min length ${s.minLength}`);
  if (s.maxLength !== undefined) out.push(`max length ${s.maxLength}`);
  if (s.minimum !== undefined && s.minimum > -SAFE) out.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined && s.maximum < SAFE) out.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) out.push(`< ${s.exclusiveMaximum}`);
  if (s.minItems !== undefined && s.minItems > 0) out.push(`min ${s.minItems} items`);
  if (s.maxItems !== undefined) out.push(`max ${s.maxItems} items`);
  if (s.pattern) out.push(`matches \`${s.pattern.replace(/\|/g, '\\|')}\``);
  if (s.type === 'array' && s.items) {
    const inner = constraints(s.items);
    if (inner) out.push(`each: ${inner}`);
  }
  if (s.default !== undefined) out.push(`default \`${JSON.stringify(s.default)}\``);
  return out.join(', ');
}

const cell = (t: string) => t.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** The object inside `X | null`, so a nullable object's fields are listed too. */
function objectOf(f: Json): Json | undefined {
  const alts = f.anyOf ?? f.oneOf;
  const o = alts?.length === 2 && alts.some((a) => a.type === 'null') ? alts.find((a) => a.type !== 'null')! : f;
  if (o.type === 'object' && o.properties) return o;
  if (o.type === 'array' && o.items?.type === 'object' && o.items.properties) return o.items;
  return undefined;
}

/** Rows for an object's fields, nested objects (and arrays of objects) flattened as `a.b` / `a[].b`. */
function rows(s: Json, prefix: string, docs: FieldDocs, out: string[]): void {
  const props = s.properties ?? {};
  const keys = Object.keys(props);
  const required = new Set(s.required ?? []);
  for (const k of keys) {
    const f = props[k];
    const optional = !required.has(k) || f.default !== undefined;
    const desc = f.description ?? docs(keys, k) ?? '';
    out.push(`| \`${prefix}${k}\` | ${typeOf(f)} | ${optional ? 'optional' : 'required'} | ${constraints(f)} | ${cell(desc)} |`);
    const inner = objectOf(f);
    if (inner) rows(inner, `${prefix}${k}${inner === f.items ? '[]' : ''}.`, docs, out);
  }
}

/** A schema as markdown: a field table for objects, one table per alternative for unions of objects, else its type. */
export function renderSchema(s: Json, docs: FieldDocs, defs: Record<string, Json> = {}): string {
  if (s.$ref) return `${typeLink(refName(s.$ref))} (below).`;
  if (s.type === 'object' && s.properties) {
    if (!Object.keys(s.properties).length) return 'none (`{}`).';
    const out = ['| field | type | | constraints | description |', '| --- | --- | --- | --- | --- |'];
    rows(s, '', docs, out);
    return out.join('\n');
  }
  const alts = s.oneOf ?? s.anyOf;
  const resolved = alts?.map((a) => (a.$ref ? (defs[refName(a.$ref)] ?? a) : a));
  if (alts && resolved!.every((a) => a.type === 'object' && a.properties)) {
    // The discriminator: a key every alternative fixes to a constant (`type` for events, `ok` for responses).
    const keys = Object.keys(resolved![0].properties!).filter((k) => resolved!.every((a) => a.properties![k]?.const !== undefined));
    const key = keys.includes('type') ? 'type' : keys[0];
    return alts
      .map((a, i) => {
        const label = key ? `\`${key}: ${lit(resolved![i].properties![key].const)}\`` : `alternative ${i + 1}`;
        return a.$ref ? `- ${label}: ${typeLink(refName(a.$ref))}` : `- ${label}\n\n${indentTable(renderSchema(a, docs, defs))}`;
      })
      .join('\n\n');
  }
  return `\`${typeOf(s).replace(/\\\|/g, '|')}\`${constraints(s) ? ` (${constraints(s)})` : ''}.`;
}

const indentTable = (t: string) =>
  t
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
