// `airlock chat` pieces without a kernel: markdown and diff rendering, colour rules, key-free history, approval answers.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseSlash } from '../../../cli/src/chat/commands';
import { cleanHistory, historyFile, loadHistory, looksSecret, saveHistory } from '../../../cli/src/chat/history';
import { colourFor, diffLine, eventLine, markdownLine, MarkdownStream, plain } from '../../../cli/src/chat/render';
import { parseApprovalAnswer } from '../../../cli/src/run/format';

const ON = { colour: true };
const OFF = { colour: false };

describe('chat rendering', () => {
  it('colours only on a terminal and never with NO_COLOR (or TERM=dumb)', () => {
    assert.equal(colourFor({ isTTY: true }, {}).colour, true);
    assert.equal(colourFor({ isTTY: false }, {}).colour, false);
    assert.equal(colourFor({ isTTY: true }, { NO_COLOR: '1' }).colour, false);
    assert.equal(colourFor({ isTTY: true }, { NO_COLOR: '' }).colour, true, 'an empty NO_COLOR does not count');
    assert.equal(colourFor({ isTTY: true }, { TERM: 'dumb' }).colour, false);
  });

  it('renders headings, bold, inline code, lists, quotes and fenced diffs; plain text stays as it is', () => {
    const st = { fence: null as string | null };
    assert.equal(markdownLine(ON, '# Title', st), '\x1b[1;4mTitle\x1b[0m');
    assert.equal(markdownLine(ON, '### Sub **x**', st), '\x1b[1mSub x\x1b[0m');
    assert.equal(markdownLine(ON, 'a **b** and `c`', st), 'a \x1b[1mb\x1b[0m and \x1b[36mc\x1b[0m');
    assert.equal(plain(markdownLine(ON, '  - item', st)), '  • item');
    assert.equal(plain(markdownLine(ON, '2. second', st)), '2. second');
    assert.equal(plain(markdownLine(ON, '> quoted', st)), '│ quoted');
    assert.equal(markdownLine(ON, '```diff', st), '\x1b[2m```diff\x1b[0m');
    assert.equal(st.fence, 'diff');
    assert.equal(markdownLine(ON, '+added', st), '\x1b[32m+added\x1b[0m');
    assert.equal(markdownLine(ON, '-removed', st), '\x1b[31m-removed\x1b[0m');
    assert.equal(markdownLine(ON, '# not a heading in a fence', st), '# not a heading in a fence');
    markdownLine(ON, '```', st);
    assert.equal(st.fence, null);
    assert.equal(markdownLine(ON, 'just text', st), 'just text');
    assert.equal(markdownLine(OFF, '# Title **b**', { fence: null }), 'Title b', 'without colour the markers go but nothing is painted');
  });

  it('diff lines: + green, - red, @@ cyan, headers bold; event lines by their mark', () => {
    assert.equal(diffLine(ON, '@@ -1,2 +1,3 @@'), '\x1b[36m@@ -1,2 +1,3 @@\x1b[0m');
    assert.equal(diffLine(ON, '--- a/x'), '\x1b[1m--- a/x\x1b[0m');
    assert.equal(diffLine(ON, ' ctx'), ' ctx');
    assert.equal(eventLine(ON, '  +v2'), '  \x1b[32m+v2\x1b[0m');
    assert.equal(eventLine(ON, '  ✗ error POLICY_DENIED: no'), '\x1b[31m  ✗ error POLICY_DENIED: no\x1b[0m');
    assert.equal(eventLine(ON, '\n[completed]'), '\n\x1b[32m[completed]\x1b[0m');
    for (const l of ['→ exec ls', '  ✓ ok', '? approval needed', '  +x']) assert.equal(eventLine(OFF, l), l);
  });

  it('streams tokens as they come and redraws a finished line styled; without colour it writes the source untouched', () => {
    let out = '';
    const md = new MarkdownStream(
      ON,
      (s) => {
        out += s;
      },
      () => 80,
    );
    md.push('## He');
    assert.equal(out, '## He', 'a partial line is on screen at once');
    md.push('llo\nplain line\n');
    assert.equal(out, '## He' + 'llo' + '\r\x1b[J\x1b[1mHello\x1b[0m' + '\n' + 'plain line' + '\n');
    let raw = '';
    const p = new MarkdownStream(
      OFF,
      (s) => {
        raw += s;
      },
      () => 80,
    );
    for (const c of ['# T', 'itle\n**b**', '\n']) p.push(c);
    p.flush();
    assert.equal(raw, '# Title\n**b**\n');
  });

  it('redraws a line the terminal wrapped from its first row', () => {
    let out = '';
    const md = new MarkdownStream(
      ON,
      (s) => {
        out += s;
      },
      () => 10,
    );
    md.push(`**${'x'.repeat(20)}**\n`);
    assert.ok(out.includes('\r\x1b[2A\x1b[J'), JSON.stringify(out));
  });
});

describe('chat history', () => {
  it('recognises lines that hold keys, and keeps ordinary ones', () => {
    for (const l of [
      'use sk-proj-abcdefghijklmnopqrstuvwx',
      'export ANTHROPIC_API_KEY=abcdef123',
      'AIzaSyA1234567890abcdefghijklmnopqrstu',
      'token ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'Authorization: Bearer abcdefghijklmnop1234',
      'x 9f8e7d6c5b4a39281706f5e4d3c2b1a0ffee12',
      '-----BEGIN OPENSSH PRIVATE KEY-----',
    ])
      assert.ok(looksSecret(l), l);
    assert.ok(looksSecret('my value is hunter2-hunter2', { SOME_TOKEN: 'hunter2-hunter2' }), 'the value of a secret-named env var');
    const ordinary = ['fix the median bug in src/stats.js', '/merge ps_mxcl5dq0_259c7a32cb', '/mode explore', 'rename getUser to findUser'];
    for (const l of ordinary) assert.ok(!looksSecret(l), l);
  });

  it('saves newest-last, capped, without keys, repeats or control characters, 0600; loads newest-first', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-history-'));
    const file = path.join(dir, 'sub', 'chat_history');
    const lines = ['third', 'OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwxyz', 'second', 'third', 'bell\x07', 'first'];
    assert.equal(saveHistory(file, lines), undefined);
    assert.equal(fs.readFileSync(file, 'utf8'), 'first\nsecond\nthird\n');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(loadHistory(file), ['third', 'second', 'first']);
    fs.appendFileSync(file, 'ghp_abcdefghijklmnopqrstuvwxyz0123456789\n');
    assert.deepEqual(loadHistory(file), ['third', 'second', 'first'], 'a key written by hand is not offered back');
    assert.equal(cleanHistory(Array.from({ length: 900 }, (_, i) => `line ${i}`)).length, 500);
    assert.deepEqual(loadHistory(path.join(dir, 'missing')), []);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lives in the state folder', () => {
    assert.equal(historyFile({ AIRLOCK_STATE_ROOT: '/s' }), '/s/chat_history');
    assert.equal(historyFile({ XDG_STATE_HOME: '/x' }), '/x/airlock/chat_history');
    assert.equal(historyFile({ HOME: '/h' }), '/h/.local/state/airlock/chat_history');
  });
});

describe('chat input', () => {
  it('parses approval answers: once, session, deny with or without a reason; anything unclear denies', () => {
    assert.deepEqual(parseApprovalAnswer('y'), { decision: 'allow' });
    assert.deepEqual(parseApprovalAnswer(' once '), { decision: 'allow' });
    assert.deepEqual(parseApprovalAnswer('s'), { decision: 'allow-session' });
    assert.deepEqual(parseApprovalAnswer('n'), { decision: 'deny' });
    assert.deepEqual(parseApprovalAnswer('n use the fixture instead'), { decision: 'deny', note: 'use the fixture instead' });
    assert.deepEqual(parseApprovalAnswer('deny: not on main'), { decision: 'deny', note: 'not on main' });
    assert.deepEqual(parseApprovalAnswer('yes please'), { decision: 'deny' });
    assert.deepEqual(parseApprovalAnswer(''), { decision: 'deny' });
    assert.equal(parseApprovalAnswer(`n ${'x'.repeat(3000)}`).note!.length, 2000);
  });

  it('tells slash commands from messages; // sends a leading slash', () => {
    assert.deepEqual(parseSlash('/merge ps_1'), { name: 'merge', args: ['ps_1'] });
    assert.deepEqual(parseSlash('  /Mode  explore '), { name: 'mode', args: ['explore'] });
    assert.equal(parseSlash('fix /etc/hosts parsing'), undefined);
    assert.equal(parseSlash('//etc is a folder'), undefined);
  });
});
