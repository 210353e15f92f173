// Model text → safe HTML: marked (GFM) with raw HTML escaped, links limited to http(s)/mailto, code highlighted by highlight.js.
import { Marked, type Tokens } from 'marked';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { escapeHtml } from './escape';

for (const [name, lang] of Object.entries({ bash, css, diff, go, java, javascript, json, markdown, python, rust, typescript, xml, yaml }))
  hljs.registerLanguage(name, lang);
hljs.registerAliases(['sh', 'shell', 'zsh'], { languageName: 'bash' });
hljs.registerAliases(['js', 'jsx', 'mjs', 'cjs'], { languageName: 'javascript' });
hljs.registerAliases(['ts', 'tsx', 'mts'], { languageName: 'typescript' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });
hljs.registerAliases(['py'], { languageName: 'python' });
hljs.registerAliases(['yml'], { languageName: 'yaml' });
hljs.registerAliases(['md'], { languageName: 'markdown' });
hljs.registerAliases(['rs'], { languageName: 'rust' });

export { escapeHtml };

const SAFE_LINK = /^(https?:|mailto:)/i;

/** Highlighted HTML for a code block; unknown languages are escaped, never guessed at (auto-detection is slow). */
export function highlight(code: string, lang: string | undefined): string {
  const name = (lang ?? '').trim().split(/\s+/)[0]?.toLowerCase();
  if (name && hljs.getLanguage(name)) return hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
  return escapeHtml(code);
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    // The model never gets to inject markup: raw HTML is shown as text.
    html({ text }: Tokens.HTML | Tokens.Tag) {
      return escapeHtml(text);
    },
    link({ href, title, tokens }: Tokens.Link) {
      const inner = this.parser.parseInline(tokens);
      if (!SAFE_LINK.test(href)) return inner;
      const t = title ? ` title="${escapeHtml(title)}"` : '';
      return `<a href="${escapeHtml(href)}"${t} rel="noopener noreferrer">${inner}</a>`;
    },
    // Remote images are blocked by the CSP anyway; show the alt text and the address instead of a broken image.
    image({ href, text }: Tokens.Image) {
      return `<span class="md-image">[image: ${escapeHtml(text || href)}]</span>`;
    },
    code({ text, lang }: Tokens.Code) {
      const label = lang ? escapeHtml(lang.split(/\s+/)[0]!) : 'text';
      return `<pre class="md-code" data-lang="${label}"><code class="hljs" tabindex="0" aria-label="${label} code">${highlight(text, lang)}</code></pre>`;
    },
  },
});

/** Renders markdown to sanitised HTML. While streaming, an unterminated fence is closed so partial code renders as code. */
export function renderMarkdown(text: string, streaming = false): string {
  let src = text;
  if (streaming && (src.match(/^\s*(```|~~~)/gm)?.length ?? 0) % 2 === 1) src += '\n```';
  return marked.parse(src) as string;
}
