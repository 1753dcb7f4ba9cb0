// @ts-check
import js from '@eslint/js';
import regexp from 'eslint-plugin-regexp';
import tseslint from 'typescript-eslint';

/** The dependency rule of ARCHITECTURE.md: core ← ports ← app ← {adapters, http} ← main. */
const layer = (patterns) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: patterns.map((group) => ({
        group,
        message: 'Breaks the dependency rule (ARCHITECTURE.md).',
      })),
    },
  ],
});

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      'data',
      // The web app's TypeScript is linted here; its .svelte files are checked by svelte-check
      // (npm run check:web), as no Svelte ESLint plugin is installed.
      'web/dist',
      'coverage',
      'test-artifacts',
      'bin',
      'examples',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    // Hostile input meets regular expressions everywhere (titles, URLs, templates): no pattern
    // may backtrack or rescan super-linearly (issue 22: one template froze the process).
    files: ['src/**/*.ts'],
    plugins: { regexp },
    rules: {
      'regexp/no-super-linear-backtracking': ['error', { report: 'potential' }],
      'regexp/no-super-linear-move': ['error', { report: 'potential' }],
      'regexp/no-misleading-capturing-group': 'error',
    },
  },
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // noUncheckedIndexedAccess makes `!` the honest way to say "checked just above".
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Fastify plugins and handlers are async by contract even when they do not await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      ...layer([
        ['**/ports/**', '**/app/**', '**/adapters/**', '**/http/**', '**/config/**', '**/cli/**'],
      ]),
      'no-restricted-globals': [
        'error',
        'fetch',
        'setTimeout',
        'setInterval',
        'setImmediate',
        'process',
        'performance',
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'core is pure: take `now` as an argument.' },
        { object: 'Math', property: 'random', message: 'core is pure: no randomness.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'core is pure: take `now` as an argument.',
        },
      ],
    },
  },
  {
    files: ['src/ports/**/*.ts'],
    rules: layer([['**/app/**', '**/adapters/**', '**/http/**', '**/cli/**']]),
  },
  { files: ['src/app/**/*.ts'], rules: layer([['**/adapters/**', '**/http/**', '**/cli/**']]) },
  { files: ['src/adapters/**/*.ts', 'src/http/**/*.ts'], rules: layer([['**/cli/**']]) },
  { files: ['src/adapters/**/*.ts'], rules: layer([['**/http/**', '**/cli/**']]) },
  { files: ['src/http/**/*.ts'], rules: layer([['**/adapters/**', '**/cli/**']]) },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
