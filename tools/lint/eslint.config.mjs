// ESLint for Airlock (run by scripts/lint-code.mjs): type-aware rules where they catch real bugs, nothing stylistic
// (Prettier formats). typescript-eslint needs TypeScript < 6.1, so this folder has its own TypeScript 5.9.
import tseslint from 'typescript-eslint';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'bench/results/**',
      'test-artifacts/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
      'sdk/**/dist/**',
    ],
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: root } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its error (an unhandled rejection can end the kernel): await it or say `void`.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // Natives are loaded with require on purpose (each such line says why); everything else imports.
      '@typescript-eslint/no-require-imports': 'error',
    },
  },
  {
    // The kernel and the protocol handle everything from below: `any` there hides unvalidated input.
    files: ['kernel/**/*.ts', 'protocol/**/*.ts', 'core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
    },
  },
);
