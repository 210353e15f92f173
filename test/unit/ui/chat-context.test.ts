// Composer context: @file / #selection / #problems are read through the kernel's policy as the model's read, so a
// secret is refused with the policy's reason and nothing is sent; the rest become blocks of the task's prompt.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { type EditorContext, gatherContext, parseMentions, withContext } from '../../../extension/src/chat/context';
import { inProcessKernel } from '../kernel-harness';

const FILES = {
  'src/stats.js': 'export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;\n',
  '.env': 'API_TOKEN=s3cret\n',
  'notes.md': '# notes\n',
};
const noEditor: EditorContext = { selection: () => undefined, problems: () => [] };
const denied = (e: unknown) =>
  e instanceof AirlockError &&
  e.code === ErrorCodes.PolicyDenied &&
  /\.env cannot be attached: .*secrets never reach the model/.test(e.message);

describe('chat composer context', () => {
  it('finds @paths, #selection and #problems; not e-mail addresses, other #tags or escapes', () => {
    assert.deepEqual(
      parseMentions('look at @src/stats.js, and #selection (mail me@example.com) #bug #problems @../etc/passwd @./notes.md.'),
      [{ kind: 'file', path: 'src/stats.js' }, { kind: 'selection' }, { kind: 'problems' }, { kind: 'file', path: 'notes.md' }],
    );
    assert.deepEqual(parseMentions('no mentions here'), []);
  });

  it("attaches a file's content through the kernel (audited as a read for the model) and refuses a secret with the reason", async () => {
    const k = await inProcessKernel(FILES);
    try {
      const got = await gatherContext('explain @src/stats.js and @missing.js', k.client, noEditor);
      assert.deepEqual(
        got.map((a) => a.label),
        ['@src/stats.js'],
      );
      const prompt = withContext('explain @src/stats.js', got);
      assert.match(
        prompt,
        /^explain @src\/stats\.js\n\nContext the person attached to this message:\n<file path="src\/stats\.js">\nexport const mean/,
      );
      await assert.rejects(gatherContext('what is in @.env', k.client, noEditor), denied);
      // The decision is audited with what the read was for.
      const decisions = (await k.client.request('audit/query', { action: 'policy.decision', payloads: true })).entries;
      const env = decisions.find((e) => e.resource === 'fs.read .env');
      assert.equal(env?.decision, 'deny');
      assert.deepEqual(env?.payload, { forModel: true, judgedAs: 'agent:context' });
    } finally {
      k.dispose();
    }
  });

  it("#selection is refused from a secret file and attached from others; #problems leaves out a secret file's problems", async () => {
    const k = await inProcessKernel(FILES);
    try {
      const sel = (path: string): EditorContext => ({
        ...noEditor,
        selection: () => ({ path, startLine: 1, endLine: 1, text: 'API_TOKEN=s3cret' }),
      });
      await assert.rejects(gatherContext('why #selection', k.client, sel('.env')), denied);
      const ok = await gatherContext('why #selection', k.client, sel('notes.md'));
      assert.deepEqual(
        ok.map((a) => a.label),
        ['#selection (notes.md:1-1)'],
      );
      await assert.rejects(
        gatherContext('why #selection', k.client, noEditor),
        (e: AirlockError) => e.code === 'CHAT_CONTEXT_NO_SELECTION',
      );
      const problems: EditorContext = {
        ...noEditor,
        problems: () => [
          { path: 'src/stats.js', line: 1, severity: 'error', message: 'mean of an empty list is NaN' },
          { path: '.env', line: 1, severity: 'warning', message: 'API_TOKEN=s3cret looks odd' },
        ],
      };
      const p = await gatherContext('fix #problems', k.client, problems);
      assert.equal(p[0]!.label, '#problems (1)');
      assert.match(p[0]!.block, /src\/stats\.js:1: error: mean of an empty list is NaN/);
      assert.doesNotMatch(p[0]!.block, /s3cret/);
    } finally {
      k.dispose();
    }
  });

  it('refuses binary files and context over the prompt limit', async () => {
    const k = await inProcessKernel({ 'pic.bin': '\u0000\u0001', 'big.txt': 'x'.repeat(99_000), 'big2.txt': 'y'.repeat(99_000) });
    try {
      await assert.rejects(gatherContext('@pic.bin', k.client, noEditor), (e: AirlockError) => e.code === 'CHAT_CONTEXT_BINARY');
      await assert.rejects(
        gatherContext('@big.txt @big2.txt', k.client, noEditor),
        (e: AirlockError) => e.code === 'CHAT_CONTEXT_TOO_MUCH',
      );
    } finally {
      k.dispose();
    }
  });
});
