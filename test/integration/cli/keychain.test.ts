// `airlock auth` against a real Secret Service (a private D-Bus session bus and gnome-keyring started here): the shipped
// dist/cli.js, copied to a folder unrelated to the checkout, stores, lists and removes a key through the native
// binding it finds in its own dist/node_modules, and `airlock run` sends the stored key to the provider; the
// environment overrides it, and without a Secret Service `auth set` fails clearly while `run` still works from env.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { assets } from '../../../protocol/src/node/assets';
import { chatTurn, startOpenAIFake } from '../../fakes/openai';
import type { FakeVendorServer } from '../../fakes/server';
import { startSecretService, type SecretService } from './secret-service';

const STORED = 'sk-keychain-test-0123456789abcdef';
const FROM_ENV = 'sk-environment-test-fedcba9876543210';
const KEY_VARS = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'NODE_PATH'];

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

describe('airlock auth: keys in the OS keychain (real Secret Service, shipped CLI)', function () {
  this.timeout(300_000);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock keychain '));
  const pkg = path.join(base, 'an unrelated folder');
  const ws = path.join(base, 'project');
  const elsewhere = path.join(base, 'somewhere else');
  const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'alkc-'));
  let ss: SecretService;
  let fake: FakeVendorServer;
  /** The shipped policies plus the person's rule for the local model server: the provider sandbox reaches it only so. */
  const policiesDir = path.join(base, 'policies');

  /** The user's environment minus any provider key, with our bus (or `bus`) as the session bus. */
  const env = (extra: NodeJS.ProcessEnv = {}, bus?: string): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = {
      ...process.env,
      AIRLOCK_STATE_ROOT: stateRoot,
      DBUS_SESSION_BUS_ADDRESS: bus ?? ss.address,
      AIRLOCK_POLICIES_DIR: policiesDir,
      ...extra,
    };
    for (const k of KEY_VARS) if (!(k in extra)) delete e[k];
    return e;
  };
  /** `node <copy>/dist/cli.js ARGS` from a folder unrelated to the checkout; async so the fake server keeps serving. */
  const airlock = (args: string[], e: NodeJS.ProcessEnv, stdin = ''): Promise<Ran> =>
    new Promise((resolve) => {
      const p = spawn(process.execPath, [path.join(pkg, 'dist', 'cli.js'), ...args], {
        cwd: elsewhere,
        env: e,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '',
        stderr = '';
      p.stdout.on('data', (c) => {
        stdout += String(c);
      });
      p.stderr.on('data', (c) => {
        stderr += String(c);
      });
      p.on('close', (status) => resolve({ status, stdout, stderr }));
      p.stdin.end(stdin);
    });
  /** What the Secret Service holds for airlock/ACCOUNT, read through the binding in a separate process. */
  const stored = (account: string): string | null => {
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `const { Entry } = require('@napi-rs/keyring');
      process.stdout.write(JSON.stringify(new Entry('airlock', ${JSON.stringify(account)}, { linux: { store: 'secret-service' } }).getPassword()))`,
      ],
      { cwd: assets().root, env: env(), encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as string | null;
  };
  const noKeys = (r: Ran) =>
    assert.ok(!`${r.stdout}${r.stderr}`.includes(STORED) && !`${r.stdout}${r.stderr}`.includes(FROM_ENV), 'no key in the output');

  before(async () => {
    const root = assets().root;
    const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), 'cli'], { cwd: root, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    assert.ok(fs.existsSync(path.join(root, 'dist', 'kernel', 'kernel.js')), 'npm run build first');
    for (const d of [
      'dist/cli.js',
      'dist/kernel',
      'dist/node_modules',
      'policies',
      'templates/sandbox',
      'templates/seccomp',
      'examples',
      'package.json',
    ]) {
      fs.cpSync(path.join(root, d), path.join(pkg, d), { recursive: true });
    }
    fs.mkdirSync(ws);
    fs.writeFileSync(path.join(ws, 'a.txt'), 'a\n');
    fs.mkdirSync(elsewhere);
    [ss, fake] = await Promise.all([startSecretService(), startOpenAIFake()]);
    fs.cpSync(path.join(root, 'policies'), policiesDir, { recursive: true });
    fs.appendFileSync(
      path.join(policiesDir, 'explore.yaml'),
      `\n  - { id: local-model, effect: allow, subjects: ["agent:*"], actions: [net.connect, net.private], resources: ["${new URL(fake.url).host}"] }\n`,
    );
  });
  after(async () => {
    ss?.stop();
    await fake?.close();
    const docker = new Docker();
    const label = `airlock.workspace=${fs.existsSync(ws) ? fs.realpathSync(ws) : ws}`;
    for (const c of await docker.listContainers({ all: true, filters: { label: [label] } }))
      await docker.getContainer(c.Id).remove({ force: true });
    for (const v of (await docker.listVolumes({ filters: { label: [label] } })).Volumes ?? [])
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined);
    fs.rmSync(base, { recursive: true, force: true });
    fs.rmSync(stateRoot, { recursive: true, force: true });
  });

  it('the shipped CLI loads the binding from its own dist/node_modules, not from the checkout', () => {
    const r = spawnSync(process.execPath, ['-e', "console.log(require.resolve('@napi-rs/keyring'))"], {
      cwd: path.join(pkg, 'dist'),
      encoding: 'utf8',
      env: env(),
    });
    assert.equal(r.stdout.trim(), path.join(pkg, 'dist', 'node_modules', '@napi-rs', 'keyring', 'index.js'));
  });

  it('auth set stores the piped key in the Secret Service; list says where it comes from; a key as argument is refused', async () => {
    const refused = await airlock(['auth', 'set', 'openai-compatible', STORED], env());
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /AUTH_KEY_IN_ARGUMENTS/);
    noKeys(refused);
    assert.equal(stored('openai-compatible'), null, 'nothing stored from an argument');

    const set = await airlock(['auth', 'set', 'openai-compatible'], env(), `${STORED}\n`);
    assert.equal(set.status, 0, set.stderr);
    assert.match(set.stdout, /stored the openai-compatible key in the OS keychain/);
    noKeys(set);
    assert.equal(stored('openai-compatible'), STORED, 'the Secret Service holds it (trimmed)');

    const list = await airlock(['auth', 'list', '--json'], env());
    assert.equal(list.status, 0, list.stderr);
    const l = JSON.parse(list.stdout) as { providers: Array<{ account: string; source: string }>; keychain: { available: boolean } };
    assert.deepEqual(l.keychain, { available: true });
    assert.deepEqual(Object.fromEntries(l.providers.map((p) => [p.account, p.source])), {
      openai: 'none',
      'openai-compatible': 'keychain',
      anthropic: 'none',
      google: 'none',
    });
    const overridden = await airlock(['auth', 'list'], env({ OPENAI_API_KEY: FROM_ENV }));
    assert.match(overridden.stdout, /openai-compatible\s+environment \(OPENAI_API_KEY\), overrides the keychain/);
    noKeys(list);
    noKeys(overridden);
  });

  it('airlock run sends the stored key to the provider; a key in the environment overrides it', async () => {
    const args = [
      'run',
      'Say hello',
      '--workspace',
      ws,
      '--provider',
      'openai-compatible',
      '--base-url',
      `${fake.url}/v1`,
      '--model',
      'fake-model',
      '--mode',
      'explore',
    ];
    fake.enqueue(chatTurn({ text: ['Hello.'], usage: { input: 10, output: 2 } }));
    const r = await airlock(args, env());
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(fake.requests.length, 1);
    assert.equal(fake.requests[0].headers.authorization, `Bearer ${STORED}`);
    noKeys(r);

    // No Secret Service at all (a bus address that leads nowhere) and the key in the environment: run still works.
    fake.enqueue(chatTurn({ text: ['Hello again.'], usage: { input: 10, output: 3 } }));
    const r2 = await airlock(args, env({ OPENAI_API_KEY: FROM_ENV }, `unix:path=${path.join(base, 'no-bus')}`));
    assert.equal(r2.status, 0, `${r2.stdout}\n${r2.stderr}`);
    assert.equal(fake.requests[1].headers.authorization, `Bearer ${FROM_ENV}`);
  });

  it('without a Secret Service, auth set fails with code, message and hint', async () => {
    const r = await airlock(['auth', 'set', 'anthropic'], env({}, `unix:path=${path.join(base, 'no-bus')}`), 'sk-ant-never-stored\n');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /AUTH_KEYCHAIN_UNAVAILABLE/);
    assert.match(r.stderr, /no usable Secret Service on this session \(.*D-?Bus/i);
    assert.match(r.stderr, /hint: start gnome-keyring .* or use ANTHROPIC_API_KEY/);
    assert.equal(stored('anthropic'), null);
  });

  it('auth remove deletes it from the Secret Service', async () => {
    const r = await airlock(['auth', 'remove', 'openai-compatible'], env());
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /removed the openai-compatible key/);
    assert.equal(stored('openai-compatible'), null);
    const again = await airlock(['auth', 'remove', 'openai-compatible'], env());
    assert.match(again.stdout, /no openai-compatible key in the OS keychain/);
    const list = JSON.parse((await airlock(['auth', 'list', '--json'], env())).stdout) as {
      providers: Array<{ account: string; source: string }>;
    };
    assert.ok(list.providers.every((p) => p.source === 'none'));
  });
});
