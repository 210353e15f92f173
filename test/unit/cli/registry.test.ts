// Every command defined under cli/src/commands is registered (a merge once dropped `auth` from the list silently).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commands } from '../../../cli/src/commands';
import { assets } from '../../../protocol/src/node/assets';

describe('CLI command registry', () => {
  it('registers every command a file under cli/src/commands defines, once', () => {
    const dir = path.join(assets().root, 'cli', 'src', 'commands');
    const defined = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => {
        const src = fs.readFileSync(path.join(dir, f), 'utf8');
        // `export const x: Command = { name: ... }` or a factory `function makeX(...): Command { return { name: ... } }`.
        return [...src.matchAll(/(?:export const \w+: Command\b|\): Command \{)[\s\S]*?name: '([\w-]+)'/g)].map((m) => m[1]!);
      });
    const names = commands.map((c) => c.name);
    assert.ok(defined.length >= 15, `found ${defined.length} command definitions`);
    for (const n of defined) assert.ok(names.includes(n), `airlock ${n} is defined but not registered in cli/src/commands/index.ts`);
    assert.equal(new Set(names).size, names.length, 'no command registered twice');
    for (const n of ['auth', 'completion', 'config', 'sessions']) assert.ok(defined.includes(n) && names.includes(n), n);
  });
});
