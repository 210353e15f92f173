// `airlock auth`: keys go to the keychain from a prompt or stdin only, are listed by source and never printed; `run`
// takes the environment's key first, then the keychain's (the keychain here is an in-memory fake behind the seam).
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { CliIO } from '../../../cli/src/command';
import { makeAuth, type AuthDeps } from '../../../cli/src/commands/auth';
import type { Keychain } from '../../../cli/src/auth/keychain';
import { keychainUnavailable } from '../../../cli/src/auth/keychain';
import { checkSecret, hiddenPrompt } from '../../../cli/src/auth/read-secret';
import { providerConfig, type RunOptions } from '../../../cli/src/run/options';
import { runCli } from '../../../cli/src/main';
import { AirlockError } from '../../../protocol/src/errors';

const SECRET = 'sk-ant-api03-very-secret-0042';

function fakeKeychain(entries: Record<string, string> = {}, broken?: Error): Keychain & { entries: Record<string, string> } {
  const fail = () => {
    if (broken) throw keychainUnavailable(broken);
  };
  return {
    entries,
    get: async (a) => {
      fail();
      return entries[a];
    },
    set: async (a, s) => {
      fail();
      entries[a] = s;
    },
    remove: async (a) => {
      fail();
      const had = a in entries;
      delete entries[a];
      return had;
    },
  };
}

function io(env: NodeJS.ProcessEnv = {}): CliIO & { lines: string[]; errs: string[] } {
  const lines: string[] = [];
  const errs: string[] = [];
  return { lines, errs, out: (l) => lines.push(l), err: (l) => errs.push(l), readStdin: async () => '', cwd: '/', env };
}

function auth(kc: Keychain, key = `${SECRET}\n`) {
  const asked: string[] = [];
  const deps: AuthDeps = {
    keychain: () => kc,
    readSecret: async (_io, q, usage) => {
      asked.push(q);
      return checkSecret(key, usage);
    },
  };
  return { cmd: makeAuth(deps), asked };
}

async function rejects(p: Promise<unknown>, code: string): Promise<AirlockError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AirlockError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

describe('airlock auth', () => {
  it("set stores the key read from the prompt/stdin (trimmed) under the provider's entry, and never prints it", async () => {
    const kc = fakeKeychain();
    const { cmd, asked } = auth(kc);
    const o = io();
    assert.equal(await cmd.run(['set', 'anthropic'], o), 0);
    assert.deepEqual({ ...kc.entries }, { anthropic: SECRET });
    assert.match(asked[0], /API key for anthropic/);
    assert.equal(await auth(kc, 'sk-openai-1').cmd.run(['set', 'openai-responses'], o), 0);
    assert.equal(kc.entries.openai, 'sk-openai-1', 'openai-responses shares the openai key');
    assert.ok(!JSON.stringify([o.lines, o.errs]).includes('sk-'), 'no key in the output');
  });

  it('refuses a key given on the command line, without echoing it and without touching the keychain', async () => {
    const kc = fakeKeychain();
    const { cmd, asked } = auth(kc);
    const e = await rejects(cmd.run(['set', 'anthropic', SECRET], io()), 'AUTH_KEY_IN_ARGUMENTS');
    assert.match(e.message, /never from the command line/);
    assert.match(e.hint ?? '', /shell history.*printf %s "\$KEY" \| airlock auth set anthropic/);
    // Only the key, in the provider's place: still not echoed.
    const e2 = await rejects(cmd.run(['set', SECRET], io()), 'CLI_USAGE');
    for (const x of [e, e2]) assert.ok(!`${x.message} ${x.hint}`.includes(SECRET));
    assert.deepEqual(kc.entries, {});
    assert.deepEqual(asked, []);
  });

  it('refuses empty, multi-line and oversized keys', () => {
    assert.equal(checkSecret('  sk-1\r\n', 'u'), 'sk-1');
    assert.throws(() => checkSecret('\n', 'u'), /stdin was empty/);
    assert.throws(
      () => checkSecret('sk-1\nsk-2', 'u'),
      (e: AirlockError) => e.code === 'AUTH_BAD_KEY',
    );
    assert.throws(
      () => checkSecret('k'.repeat(9000), 'u'),
      (e: AirlockError) => e.code === 'AUTH_BAD_KEY',
    );
  });

  it('list shows where each key comes from (the environment overrides the keychain), never the key', async () => {
    const kc = fakeKeychain({ anthropic: SECRET, google: 'g-stored' });
    const o = io({ GOOGLE_API_KEY: 'g-env-secret' });
    assert.equal(await auth(kc).cmd.run(['list'], o), 0);
    assert.deepEqual(
      o.lines.slice(1).map((l) => l.replace(/\s+/, ' ')),
      ['openai -', 'openai-compatible -', 'anthropic keychain', 'google environment (GOOGLE_API_KEY), overrides the keychain'],
    );
    const j = io({ OPENAI_API_KEY: 'o-env' });
    await auth(kc).cmd.run(['list', '--json'], j);
    const parsed = JSON.parse(j.lines[0]) as {
      providers: Array<{ account: string; source: string; variable?: string }>;
      keychain: { available: boolean };
    };
    assert.deepEqual(
      parsed.providers.find((p) => p.account === 'openai'),
      { account: 'openai', inKeychain: false, source: 'environment', variable: 'OPENAI_API_KEY' },
    );
    assert.equal(parsed.keychain.available, true);
    assert.ok(![...o.lines, ...j.lines].join('\n').match(/sk-ant|g-stored|g-env|o-env/));
  });

  it('list without a keychain still shows the environment and says why the keychain could not be read', async () => {
    const kc = fakeKeychain({}, new Error('DBus error: Failed to connect to socket /nope: No such file or directory'));
    const o = io({ ANTHROPIC_API_KEY: 'x' });
    assert.equal(await auth(kc).cmd.run(['list'], o), 0);
    assert.ok(o.lines.some((l) => /^anthropic\s+environment \(ANTHROPIC_API_KEY\)$/.test(l)));
    if (process.platform === 'linux')
      assert.match(
        o.errs.join('\n'),
        /no usable Secret Service on this session \(DBus error: Failed to connect.*\n\s+hint: start gnome-keyring/,
      );
  });

  it('set fails with code, message and hint when the keychain cannot be used', async () => {
    const kc = fakeKeychain({}, new Error('Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled'));
    const e = await rejects(auth(kc).cmd.run(['set', 'anthropic'], io()), 'AUTH_KEYCHAIN_UNAVAILABLE');
    assert.match(e.message, /DBus error/);
    assert.ok(e.hint);
  });

  it('remove deletes the entry and says when there was none; a set environment variable is pointed out', async () => {
    const kc = fakeKeychain({ anthropic: SECRET });
    const o = io({ ANTHROPIC_API_KEY: 'e' });
    assert.equal(await auth(kc).cmd.run(['remove', 'anthropic'], o), 0);
    assert.deepEqual(kc.entries, {});
    assert.equal(await auth(kc).cmd.run(['remove', 'anthropic'], o), 0);
    assert.deepEqual(o.lines, ['removed the anthropic key from the OS keychain', 'no anthropic key in the OS keychain']);
    assert.match(o.errs[0], /ANTHROPIC_API_KEY is set in this environment/);
    await rejects(auth(kc).cmd.run(['remove', 'replay'], io()), 'CLI_USAGE');
    await rejects(auth(kc).cmd.run(['forget', 'anthropic'], io()), 'CLI_USAGE');
  });

  it('is a registered command: `airlock auth set anthropic KEY` exits 2 with the code and without the key', async () => {
    const o = io();
    assert.equal(await runCli(['auth', 'set', 'anthropic', SECRET], o), 2);
    assert.match(o.errs.join('\n'), /AUTH_KEY_IN_ARGUMENTS/);
    assert.ok(!o.errs.join('\n').includes(SECRET));
  });
});

describe('hidden prompt', () => {
  it('reads one line without echoing it (backspace edits, Enter ends) and restores the terminal mode', async () => {
    const input = Object.assign(new PassThrough(), {
      isRaw: false,
      setRawMode(v: boolean) {
        input.isRaw = v;
        return input;
      },
    });
    const output = new PassThrough();
    let shown = '';
    output.on('data', (c) => {
      shown += String(c);
    });
    const p = hiddenPrompt('key: ', input as unknown as NodeJS.ReadStream, output as unknown as NodeJS.WriteStream);
    assert.equal(input.isRaw, true);
    input.write('sk-ab\u007fc\r');
    assert.equal(await p, 'sk-ac');
    assert.equal(input.isRaw, false);
    assert.equal(shown, 'key: \n');
    const q = hiddenPrompt('key: ', input as unknown as NodeJS.ReadStream, output as unknown as NodeJS.WriteStream);
    input.write('sk\u0003');
    await assert.rejects(q, (e: AirlockError) => e.code === 'AUTH_CANCELLED');
  });
});

describe('run: the provider key', () => {
  const o = { provider: 'anthropic', positionals: [], warnings: [], yes: false, workspace: '/', workspaceArg: '' } as RunOptions;

  it('comes from the environment first (CI), else from the keychain', async () => {
    const kc = fakeKeychain({ anthropic: 'sk-from-keychain', openai: 'sk-openai-stored' });
    assert.deepEqual(await providerConfig(o, { ANTHROPIC_API_KEY: 'sk-from-env' }, kc), { provider: 'anthropic', apiKey: 'sk-from-env' });
    assert.deepEqual(await providerConfig(o, {}, kc), { provider: 'anthropic', apiKey: 'sk-from-keychain' });
    assert.deepEqual(await providerConfig({ ...o, provider: 'openai-responses' }, {}, kc), {
      provider: 'openai-responses',
      apiKey: 'sk-openai-stored',
    });
    // A stored OpenAI key is not sent to another vendor's --base-url.
    assert.deepEqual(await providerConfig({ ...o, provider: 'openai-compatible', baseUrl: 'http://x/v1' }, {}, kc), {
      provider: 'openai-compatible',
      baseUrl: 'http://x/v1',
    });
    assert.equal(await providerConfig({ ...o, provider: undefined, replay: 'r.jsonl' }, {}, kc), undefined);
  });

  it('without a usable keychain: the environment still works, else a warning and no key', async () => {
    const kc = fakeKeychain({}, new Error('DBus error: no Secret Service'));
    const warnings: string[] = [];
    assert.deepEqual(await providerConfig(o, { ANTHROPIC_API_KEY: 'sk-env' }, kc, (w) => warnings.push(w)), {
      provider: 'anthropic',
      apiKey: 'sk-env',
    });
    assert.equal(warnings.length, 0);
    assert.deepEqual(await providerConfig(o, {}, kc, (w) => warnings.push(w)), { provider: 'anthropic' });
    assert.match(warnings[0], /no ANTHROPIC_API_KEY and the keychain could not be read: .*DBus error/);
  });
});
