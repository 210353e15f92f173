// `node scripts/gen-reference-docs.mjs [--check]`: writes (or compares) docs/api.md, docs/errors.md and docs/commands.md,
// generated from the protocol's zod schemas, the product's AirlockError call sites and the CLI's command definitions. Fails listing file:line for codes it cannot resolve.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderApi } from './api';
import { renderCommands } from './commands';
import { findErrorSites, openProgram, productFiles, type ErrorSite } from './error-sites';
import { allowed, PASS_THROUGH, renderErrors, unresolved } from './errors';
import { readSourceDocs } from './source-docs';

export const OUTPUTS = { api: 'docs/api.md', errors: 'docs/errors.md', commands: 'docs/commands.md' } as const;

export interface Generated {
  files: Record<keyof typeof OUTPUTS, string>;
  sites: ErrorSite[];
  /** Unresolvable codes (file:line) and pass-through entries that no longer match a call site. */
  problems: string[];
}

/** Generates both pages in memory. `files` overrides the product scan (tests add a scratch file). */
export function generate(root: string, files = productFiles(root)): Generated {
  const { at, close } = openProgram(root, files);
  try {
    const protocolDir = path.join(root, 'protocol', 'src') + path.sep;
    const docs = readSourceDocs(files.filter((f) => f.startsWith(protocolDir)).map((f) => at(f).sf));
    const sites = findErrorSites(root, files, at);
    const stale = PASS_THROUGH.filter((a) => !sites.some((s) => !s.codes.length && allowed(s) === a)).map(
      (a) => `scripts/reference-docs/errors.ts: PASS_THROUGH entry ${a.file} ${a.scope}(${a.code}) matches no call site: remove it`,
    );
    return {
      files: { api: renderApi(root, docs), errors: renderErrors(sites), commands: renderCommands() },
      sites,
      problems: [...unresolved(sites), ...stale],
    };
  } finally {
    close();
  }
}

/** Pages that differ from what the sources generate, one line each (empty when up to date). */
export function stalePages(root: string, g: Generated): string[] {
  return (Object.keys(OUTPUTS) as (keyof typeof OUTPUTS)[])
    .filter((k) => !fs.existsSync(path.join(root, OUTPUTS[k])) || fs.readFileSync(path.join(root, OUTPUTS[k]), 'utf8') !== g.files[k])
    .map((k) => `${OUTPUTS[k]} is stale: run \`npm run docs:gen\``);
}

if (require.main === module) {
  const root = path.join(__dirname, '..', '..');
  const g = generate(root);
  if (g.problems.length) {
    console.error('unresolved error codes (make the code a literal or a constant, or add a PASS_THROUGH entry with a reason):');
    for (const p of g.problems) console.error(`  ${p}`);
    process.exit(1);
  }
  if (process.argv.includes('--check')) {
    const stale = stalePages(root, g);
    for (const s of stale) console.error(s);
    process.exit(stale.length ? 1 : 0);
  }
  for (const k of Object.keys(OUTPUTS) as (keyof typeof OUTPUTS)[]) fs.writeFileSync(path.join(root, OUTPUTS[k]), g.files[k]);
  console.log(`wrote ${Object.values(OUTPUTS).join(', ')} (${g.sites.length} error call sites)`);
}
