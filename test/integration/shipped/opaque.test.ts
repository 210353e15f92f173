// The kernel image reads overlay opaque-directory marks (user.overlay.opaque, no capability needed): a folder a
// sandboxed command removed and made again becomes the right patch (old files deleted, new one added), no warning.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeWorkspaceLeftovers } from '../workspace-leftovers';
import { assets } from '../../../protocol/src/node/assets';
import { execReplay } from './replay';

const CLI = path.join(assets().root, 'dist', 'cli.js');
const REMAKE = "const fs=require('fs');fs.rmSync('d',{recursive:true});fs.mkdirSync('d');fs.writeFileSync('d/new.txt','new\\n')";

const replay = () => execReplay([['node', '-e', REMAKE]], 'Remade d/.');

function airlock(ws: string, args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args, '--workspace', ws], { encoding: 'utf8', cwd: os.tmpdir(), timeout: 240_000 });
  assert.equal(r.status, 0, `airlock ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('opaque directories through the kernel image (dist/cli.js, Docker)', function () {
  this.timeout(300_000);
  const ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-opaque-')));
  after(async () => {
    await removeWorkspaceLeftovers(ws);
    fs.rmSync(ws, { recursive: true, force: true });
  });

  it("rm -rf d && mkdir d && write d/new.txt: the patch deletes d's old files and adds the new one, without warnings", () => {
    fs.mkdirSync(path.join(ws, 'd', 'sub'), { recursive: true });
    for (const f of ['d/a.txt', 'd/b.txt', 'd/sub/c.txt']) fs.writeFileSync(path.join(ws, f), `${f}\n`);
    fs.writeFileSync(path.join(ws, 'task.replay.jsonl'), replay());
    const out = airlock(ws, ['run', 'Remake d', '--replay', path.join(ws, 'task.replay.jsonl'), '--mode', 'explore']);
    const set = /Patch set (ps_\w+):/.exec(out)?.[1];
    assert.ok(set, out);
    const shown = airlock(ws, ['review', 'show', set]);
    assert.doesNotMatch(shown, /warning|opaque/i, shown);
    airlock(ws, ['review', 'accept', set]);
    airlock(ws, ['review', 'merge', set]);
    const left = fs.readdirSync(path.join(ws, 'd'), { recursive: true }).map(String).sort();
    assert.deepEqual(left, ['new.txt']);
    assert.equal(fs.readFileSync(path.join(ws, 'd', 'new.txt'), 'utf8'), 'new\n');
  });
});
