// Bundles inlined into a webview's HTML (extension/src/webview/inline.ts): an HTML parser sees the element end where
// ours does, and the script inside runs as the file would.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { parse } from 'parse5';
import { inlineText, jsonInScript } from '../../../extension/src/webview/inline';
import { REPO } from '../plugins/example';

interface Node {
  nodeName: string;
  childNodes?: Node[];
  value?: string;
  attrs?: { name: string; value: string }[];
}
const body = (html: string): Node[] => {
  const doc = parse(html) as unknown as Node;
  const htmlEl = doc.childNodes!.find((n) => n.nodeName === 'html')!;
  return htmlEl.childNodes!.find((n) => n.nodeName === 'body')!.childNodes!.filter((n) => n.nodeName !== '#text');
};
const text = (n: Node) => (n.childNodes ?? []).map((c) => c.value ?? '').join('');

/** The page html.ts writes, reduced: an inline script, then the element that must follow it. */
function page(script: string): Node[] {
  return body(`<!DOCTYPE html><html><head></head><body><script nonce="n">${script}</script><div id="after"></div></body></html>`);
}

describe('webview: bundles inline in the HTML', () => {
  const scripts = [
    'result = "</script><b>x</b>".length',
    "result = '</SCRIPT >' + `</style>` + /<\\/script>/.source",
    'result = /<\\/script>/u.test("</script>") ? 1 : 0 // </script> in a comment',
    'result = "<!-- not a comment" + "-->"',
    'result = [/<!--/.source, /<script(?=\\s|>)/.source].join()', // marked and highlight.js have these two
  ];

  for (const src of scripts)
    it(`ends where the page ends it and runs the same: ${src.slice(0, 48)}`, () => {
      const inlined = inlineText(src);
      assert.ok(inlined !== null);
      const nodes = page(inlined);
      assert.deepEqual(
        nodes.map((n) => n.nodeName),
        ['script', 'div'],
        'one script element, then the page goes on',
      );
      const run = (code: string) => vm.runInNewContext(`let result; ${code}; result`);
      assert.equal(run(text(nodes[0])), run(src));
    });

  it("is refused when a comment opener and a script tag could hide the element's end (the page names the file)", () => {
    const src = 'a = "<!--"; b = "<script>"; c = 1';
    assert.notDeepEqual(
      page(src.replace(/<\/(script)/gi, '<\\/$1')).map((n) => n.nodeName),
      ['script', 'div'],
    );
    assert.equal(inlineText(src), null);
    assert.equal(inlineText('a = "<script>"'), 'a = "<script>"', 'either alone is harmless');
  });

  it('keeps JSON data inert and exact, whatever its strings hold', () => {
    const value = { m: ['</script><script>alert(1)</script>', '<!--', '\u2028'], n: 1 };
    const nodes = body(`<html><body><script type="application/json" id="d">${jsonInScript(value)}</script><div></div></body></html>`);
    assert.deepEqual(
      nodes.map((n) => n.nodeName),
      ['script', 'div'],
    );
    assert.deepEqual(JSON.parse(text(nodes[0])), value);
  });

  it('inlines every webview bundle the build makes (none would fall back to naming its file)', () => {
    const dir = path.join(REPO, 'dist', 'webview');
    assert.ok(fs.existsSync(path.join(dir, 'chat.js')), `${dir} has no bundles: run npm run build first (npm test does)`);
    for (const f of ['chat.js', 'audit.js', 'chat.css', 'audit.css', 'vendor/vscode-elements.js'])
      assert.notEqual(inlineText(fs.readFileSync(path.join(dir, f), 'utf8')), null, f);
  });
});
