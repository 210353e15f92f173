// Sanitiser: secrets of known formats and configured values are redacted; ANSI and control characters go; size is capped.
import { strict as assert } from 'node:assert';
import { Sanitiser } from '../../../kernel/src/agent/sanitise';

const samples: Array<[kind: string, secret: string]> = [
  ['openai-key', 'sk-proj-' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6'],
  ['openai-key', 'sk-' + 'abcdefghijklmnopqrstuvwxyz0123456789ABCD'],
  ['anthropic-key', 'sk-ant-api03-' + 'x'.repeat(40)],
  ['google-api-key', 'AIza' + 'SyA1234567890abcdefghijklmnopqrstuv'],
  ['github-token', 'ghp_' + 'a'.repeat(36)],
  ['github-token', 'github_pat_' + '1'.repeat(22) + '_' + 'b'.repeat(59)],
  ['gitlab-token', 'glpat-' + 'z'.repeat(20)],
  ['aws-access-key-id', 'AKIA' + 'IOSFODNN7EXAMPLE'],
  ['slack-token', 'xoxb-' + '1234567890-abcdefghij'],
  ['stripe-key', 'sk_live_' + '4eC39HqLyjWDarjtT1zdp7dc'],
  ['npm-token', 'npm_' + 'a1'.repeat(18)],
  ['huggingface-token', 'hf_' + 'q'.repeat(34)],
  ['jwt', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'],
];

describe('agent sanitiser', () => {
  const s = new Sanitiser();
  for (const [kind, secret] of samples) {
    it(`redacts ${kind}`, () => {
      const out = s.sanitise(`config: value=${secret} end`);
      assert.ok(!out.text.includes(secret), out.text);
      assert.match(out.text, new RegExp(`\\[REDACTED:${kind}\\]`));
      assert.equal(out.redactions, 1);
      assert.match(out.text, /^config: value=.* end$/);
    });
  }

  it('redacts PEM private keys whole, including a key cut off before its END line', () => {
    const pem = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----';
    const out = s.sanitise(`before\n${pem}\nafter`);
    assert.equal(out.text, 'before\n[REDACTED:private-key]\nafter');
    const cut = s.sanitise('x\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow');
    assert.equal(cut.text, 'x\n[REDACTED:private-key]');
  });

  it('redacts bearer tokens, URL passwords and the AWS secret key after its name', () => {
    const out = s.sanitise(
      'Authorization: Bearer abcdef0123456789abcdef\npostgres://app:hunter2pw@db:5432/x\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    );
    assert.doesNotMatch(out.text, /abcdef0123456789abcdef|hunter2pw|wJalrXUtnFEMI/);
    assert.match(out.text, /postgres:\/\/app:\[REDACTED:url-credentials\]@db/);
    assert.equal(out.redactions, 3);
  });

  it('redacts values of env vars marked secret and explicitly registered values, longest first', () => {
    const z = new Sanitiser({ secretValues: ['plain-api-value-1'] });
    z.addSecretEnv({ MY_SERVICE_TOKEN: 'tok-abc-123456', HOME: '/root', DB_PASSWORD: 'correct horse', CUSTOM: 'custom-val-xyz' }, [
      'CUSTOM',
    ]);
    const out = z.sanitise('a tok-abc-123456 b correct horse c /root d plain-api-value-1 e custom-val-xyz');
    assert.equal(
      out.text,
      'a [REDACTED:secret-value] b [REDACTED:secret-value] c /root d [REDACTED:secret-value] e [REDACTED:secret-value]',
    );
  });

  it('leaves ordinary code alone', () => {
    const code = 'const sk = "short"; function askUser() { return task_id; } // AIza is a prefix';
    assert.deepEqual(s.sanitise(code), { text: code, redactions: 0, truncated: false });
  });

  it('strips ANSI colour/cursor/OSC sequences and control characters but keeps tabs and newlines', () => {
    const out = s.sanitise('\u001b[31mred\u001b[0m\t\u001b]0;title\u0007ok\r\nnext\u0000\u0008\u001b[2Kline\u009b1m');
    assert.equal(out.text, 'red\tok\nnextline');
  });

  it('caps size with a note', () => {
    const z = new Sanitiser({ maxChars: 100 });
    const out = z.sanitise('x'.repeat(250));
    assert.ok(out.truncated);
    assert.ok(out.text.startsWith('x'.repeat(100) + '\n[... 150 more characters cut'));
  });

  it('sanitises nested values for audit payloads', () => {
    const v = s.sanitiseValue({
      cmd: ['curl', '-H', 'Authorization: Bearer abcdef0123456789abcdef'],
      n: 3,
      nested: { key: 'ghp_' + 'b'.repeat(36) },
    });
    assert.deepEqual(v, {
      cmd: ['curl', '-H', 'Authorization: Bearer [REDACTED:bearer-token]'],
      n: 3,
      nested: { key: '[REDACTED:github-token]' },
    });
  });
});
