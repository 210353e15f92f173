// Lets TypeScript accept the CSS imports esbuild bundles into dist/webview/<view>.css.
declare module '*.css';
