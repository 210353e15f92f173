// Text that sits inside a webview's <script> or <style> element as it is written (html.ts inlines our bundles).

/**
 * Script or style text that can sit inside its element, or null. The HTML parser acts on three things in a raw-text
 * element: `</script` or `</style` ends it (written `<\/`, which reads the same in a JS string, template, regular
 * expression or comment, and in CSS); `<!--` then `<script` + space, `/` or `>` makes it skip the real end tag. No
 * rewrite of the latter reads the same in all of JS (a `\!` is an error in a /u regular expression): such text is
 * null, and the page names the file instead.
 */
export function inlineText(text: string): string | null {
  if (/<!--/.test(text) && /<script[\s/>]/i.test(text)) return null;
  return text.replace(/<\/(script|style)/gi, '<\\/$1');
}

/** JSON for a `<script type="application/json">`: every `<` escaped (JSON.parse reads \u003c back as `<`). */
export function jsonInScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
