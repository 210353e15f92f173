// The kernel container runs with glibc's malloc arenas capped: one arena per allocating thread (~16 in the kernel,
// ~7 MB each) was most of its RSS (the soak: ~270 MB; with two arenas ~175 MB, docs/recovery.md).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelCreateOptions } from '../../../bootstrap/kernel';
import { readConfig, type Paths } from '../../../core/src/config/bootstrap';
import type { Engine } from '../../../core/src/engine/detect';

describe('kernel container: malloc arenas', () => {
  it("sets MALLOC_ARENA_MAX=2 in the kernel's environment", () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-malloc-'));
    try {
      const paths: Paths = { id: 'abc', root: ws, state: ws, socketDir: ws, socket: path.join(ws, 's'), token: path.join(ws, 't') };
      const engine = { kind: 'docker', socket: path.join(ws, 'docker.sock'), rootless: false, warnings: [] } as unknown as Engine;
      fs.writeFileSync(engine.socket, '');
      const outputs = { name: 'o', mountpoint: '/o', options: 'size=1', bytes: 1 };
      const env = kernelCreateOptions(engine, readConfig({ workspace: ws }, { HOME: ws }), paths, 'img', outputs).Env ?? [];
      assert.equal(env.filter((e) => e.startsWith('MALLOC_ARENA_MAX=')).join(), 'MALLOC_ARENA_MAX=2');
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});
