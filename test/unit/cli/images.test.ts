// `airlock images`: strict argument handling, list/prune output, and Ctrl-C cancelling a prepare (no engine needed).
import assert from 'node:assert/strict';
import type { Engine } from '../../../bootstrap';
import { formatImage, imagesMain, parseImagesArgs } from '../../../cli/src/commands/images';
import type { CliIO } from '../../../cli/src/command';
import { runCli } from '../../../cli/src/main';
import { type AirlockError } from '../../../protocol/src/errors';
import { buildCli, spawnCli } from './built-cli';
import { sandboxChecks } from '../../../protocol/src/sandbox-health';

function io(): CliIO & { lines: string[]; errs: string[] } {
  const lines: string[] = [];
  const errs: string[] = [];
  return { lines, errs, out: (l) => lines.push(l), err: (l) => errs.push(l), readStdin: async () => '', cwd: '/', env: {} };
}

describe('airlock images: arguments', () => {
  it('takes prepare, list and prune with their options', () => {
    assert.deepEqual(parseImagesArgs(['prepare']), { action: 'prepare', json: false, all: false });
    assert.deepEqual(parseImagesArgs(['list', '--json']), { action: 'list', json: true, all: false });
    assert.deepEqual(parseImagesArgs(['prune', '--all']), { action: 'prune', json: false, all: true });
    assert.deepEqual(parseImagesArgs(['base', '--registry', '127.0.0.1:5000/airlock', '--json']), {
      action: 'base',
      json: true,
      all: false,
      registry: '127.0.0.1:5000/airlock',
    });
    assert.throws(() => parseImagesArgs(['base']), /base needs --registry/);
    assert.throws(() => parseImagesArgs(['base', '--registry', 'r/x', '--manifest', 'f']), /--manifest is for prepare and publish/);
  });

  for (const [args, why] of [
    [[], /unknown images action ""/],
    [['build'], /unknown images action "build"/],
    [['list', 'extra'], /unexpected "extra"/],
    [['prepare', '--force'], /Unknown option '--force'/],
    [['list', '--all'], /--all is for prune/],
    [['prune', '--json'], /--json is for prepare and list/],
  ] as const) {
    it(`refuses ${JSON.stringify(args)} with the usage as hint`, () => {
      assert.throws(
        () => parseImagesArgs([...args]),
        (e: AirlockError) => e.code === 'CLI_USAGE' && why.test(e.message) && /airlock images prepare/.test(e.hint ?? ''),
      );
    });
  }

  it('is registered: `airlock images bogus` exits 2 before reading any config or engine', async () => {
    const o = io();
    assert.equal(await runCli(['images', 'bogus'], o), 2);
    assert.match(o.errs.join('\n'), /CLI_USAGE[^]*unknown images action "bogus"/);
  });

  it('formats an image: kind, tag, size, created, in use, whose', () => {
    const line = formatImage({
      kind: 'sandbox-node',
      id: 'sha256:0123456789abcdef',
      tags: ['localhost/airlock/sandbox-node:abc'],
      size: 150 * 1024 ** 2,
      created: Date.UTC(2026, 0, 2, 3, 4) / 1000,
      installation: 'f00',
      mine: false,
      containers: 2,
    });
    assert.match(
      line,
      /^sandbox-node +localhost\/airlock\/sandbox-node:abc +150 MB {2}2026-01-02 03:04 {2}in use \(2 containers\) +installation f00$/,
    );
  });
});

describe('airlock images: prepare is cancelled by Ctrl-C', () => {
  it('aborts the build through its AbortSignal and exits 130', async () => {
    let interrupt: (() => void) | undefined;
    let unhooked = false;
    // An engine whose image lookups hang until the signal aborts the build: Ctrl-C is the only way out.
    const docker = {
      getImage: () => ({
        inspect: () => {
          interrupt!();
          return Promise.reject(new Error('no such image'));
        },
      }),
    };
    const engine = {
      kind: 'docker',
      socket: '/nonexistent.sock',
      docker,
      version: '1',
      rootless: false,
      warnings: [],
    } as unknown as Engine;
    const o = io();
    const code = await imagesMain(['prepare'], o, {
      engine: async () => engine,
      kernelImage: () => undefined,
      onInterrupt: (abort) => {
        interrupt = abort;
        return () => {
          unhooked = true;
        };
      },
    });
    assert.equal(code, 130);
    assert.match(o.errs.join('\n'), /cancelled/);
    assert.ok(unhooked, 'the Ctrl-C handler is removed afterwards');
    assert.match(o.lines[0], /^\[kernel\] finding or building the kernel image/);
  });
});

describe('hints name the product, not the checkout', () => {
  it('a missing image says `airlock images prepare` and Airlock: Prepare Images, never tsx or npm', () => {
    const [images, pools] = sandboxChecks({ 'code-executor': { pool: { target: 1, ready: 0, error: 'no image' } } }, true);
    for (const c of [images, pools]) {
      assert.match(c.hint ?? '', /airlock images prepare/);
      assert.match(c.hint ?? '', /Airlock: Prepare Images/);
      assert.doesNotMatch(c.hint ?? '', /tsx|npm run/);
    }
  });
});

describe('airlock images: the shipped bundle', function () {
  this.timeout(120_000);
  it('dist/cli.js runs only the command asked for: no script entry of a bundled builder starts a build', async () => {
    buildCli();
    // An engine that cannot be reached: a stray build would fail loudly with an engine error instead of the usage error.
    const p = spawnCli(['images', 'bogus'], { cwd: '/', env: { AIRLOCK_ENGINE_SOCKET: '/nonexistent.sock' } });
    let out = '';
    p.stdout!.on('data', (b: Buffer) => {
      out += b;
    });
    p.stderr!.on('data', (b: Buffer) => {
      out += b;
    });
    const code = await new Promise<number | null>((r) => p.on('close', r));
    assert.equal(code, 2, out);
    assert.match(out, /CLI_USAGE[^]*unknown images action "bogus"/);
    assert.doesNotMatch(out, /importing|building image|sandbox-node|code-executor|IMAGE_BUILD/, out);
  });
});
