// Our code as a spawned CLI, so a bench can compare it with another CLI (git, rg) in the same process model:
//   cli.ts patch WORKSPACE UPPER     writes the patch set (JSON) to stdout
//   cli.ts grep LOWER UPPER PATTERN  writes search.grep's matches over the overlay view (LOWER under UPPER), one a line
import { generatePatchSet } from '../kernel/src/patches/generate';
import { scanUpper } from '../kernel/src/patches/scan';
import { disposeGrepPool, grep } from '../kernel/src/agent/tools/grep';
import { OverlayTree } from '../kernel/src/agent/tools/view';

async function main(argv: string[]): Promise<void> {
  const [cmd, a, b, pattern] = argv;
  if (cmd === 'patch' && a && b) {
    const set = await generatePatchSet({ workspace: a, scan: await scanUpper(b), source: 'overlay' });
    process.stdout.write(JSON.stringify(set));
    return;
  }
  if (cmd === 'grep' && a && b && pattern) {
    const r = await grep(new OverlayTree(a, b), { pattern, maxResults: 1_000_000 }, new AbortController().signal);
    process.stdout.write(r.matches.map((m) => `${m.path}:${m.line}:${m.text}`).join('\n') + '\n');
    disposeGrepPool();
    return;
  }
  if (cmd === 'noop') return;
  throw new Error('usage: cli.ts patch WORKSPACE UPPER | grep LOWER UPPER PATTERN | noop');
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e);
  process.exit(1);
});
