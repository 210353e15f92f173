// Markdown sanitising (no raw HTML or script links from the model) and the diff-review helpers.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { formatUsage, renderArgs } from '../../../webview/src/chat/render';
import { renderMarkdown } from '../../../webview/src/shared/markdown';
import { hunkAnchorLines, parsePatchUriPath, proposedText } from '../../../extension/src/review/proposed';

describe('markdown rendering', () => {
  it('escapes raw HTML and drops non-http links', () => {
    const html = renderMarkdown(
      'hi <img src=x onerror=alert(1)> <script>alert(1)</script>\n\n[x](javascript:alert(1)) [ok](https://example.com)',
    );
    assert.ok(!/<img|<script/i.test(html), html);
    assert.ok(!html.includes('href="javascript:'), html);
    assert.match(html, /<a href="https:\/\/example.com" rel="noopener noreferrer">ok<\/a>/);
  });

  it('highlights fenced code and closes an open fence while streaming', () => {
    assert.match(renderMarkdown('```ts\nconst a: number = 1;\n```'), /<span class="hljs-keyword">const<\/span>/);
    const partial = renderMarkdown('text\n```js\nlet x = 1', true);
    assert.match(partial, /<pre class="md-code" data-lang="js">/);
  });

  it('shows images as text (the CSP blocks remote loads)', () => {
    assert.match(renderMarkdown('![logo](https://evil.example/x.png)'), /\[image: logo\]/);
  });
});

describe('tool arguments', () => {
  it('shows multi-line strings as text blocks, argv as a command line, and escapes everything', () => {
    const html = renderArgs(JSON.stringify({ path: '.github/workflows/<x>.yml', content: 'a: 1\nb: <script>', argv: ['node', '--test'] }));
    assert.match(html, /<span class="arg-name">path<\/span> <code>\.github\/workflows\/&lt;x&gt;\.yml<\/code>/);
    assert.match(html, /<pre class="io">a: 1\nb: &lt;script&gt;<\/pre>/, 'real newlines, not \\n escapes');
    assert.match(html, /<code>node --test<\/code>/);
    assert.equal(renderArgs('not json <b>'), '<pre class="io">not json &lt;b&gt;</pre>');
  });
});

describe('usage meter', () => {
  it('shows tokens and cost against the budget', () => {
    assert.deepEqual(formatUsage({ totalTokens: 500, costUsd: 0.5, maxTokens: 1000, maxCostUsd: 2 }), {
      text: '500 / 1,000 tokens · $0.5000 / $2.00',
      ratio: 0.5,
    });
    assert.equal(formatUsage({ totalTokens: 5, costUsd: 0 }).ratio, null);
  });
});

describe('diff review helpers', () => {
  const base = 'a\nb\nc\nd\ne\n';
  const hunk = { id: 'h_0123456789abcdef', oldStart: 2, oldLines: 3, newStart: 2, newLines: 3, lines: [' b', '-c', '+C', ' d'] };

  it('builds the proposed text from base + hunks and refuses hunks that do not apply', () => {
    assert.equal(proposedText(base, [hunk]), 'a\nb\nC\nd\ne\n');
    assert.equal(proposedText('a\nX\nY\nd\n', [hunk]), undefined);
    assert.equal(proposedText(base, []), base);
  });

  it('places each hunk lens on its first changed line', () => {
    assert.deepEqual(hunkAnchorLines([hunk]), [{ hunkId: hunk.id, line: 2 }]);
  });

  it('parses airlock-patch paths, including nested and odd file names', () => {
    assert.deepEqual(parsePatchUriPath('/ps_abcd1234/src/a b/c.ts'), { setId: 'ps_abcd1234', path: 'src/a b/c.ts' });
    assert.equal(parsePatchUriPath('/nope/x'), undefined);
  });
});
