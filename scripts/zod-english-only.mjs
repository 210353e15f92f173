// esbuild plugin: zod's `z.locales` (its error messages in ~40 languages) resolves to English alone in our bundles.
import * as path from 'node:path';

// zod ships ~40 translations of its error messages, re-exported as `z.locales`, which no bundle of ours uses (English is
// the default, imported by zod itself): they were more than half of every zod-using bundle (a webview's 484 KB of 30 KB
// code). zod's own `../locales/index.js` resolves to English alone, so the namespace still exists.
export const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (a) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(a.importer)
        ? { path: path.resolve(path.dirname(a.importer), '../locales/en.js'), namespace: 'zod-english-only' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (a) => ({
      contents: `export { default as en } from ${JSON.stringify(a.path)};`,
      resolveDir: path.dirname(a.path),
    }));
  },
};
