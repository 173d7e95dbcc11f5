// Lint rules: typescript-eslint's type-checked set, so floating promises and unsafe `any` are
// caught, and imports sorted (`eslint --fix` sorts them). The layering rules are
// dependency-cruiser's (.dependency-cruiser.cjs), run by `npm run lint` too.
import js from '@eslint/js';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    plugins: { 'simple-import-sort': simpleImportSort },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The agent's functions stay readable at a glance: a closure factory that outgrows this
    // gives its parts names of their own.
    files: ['src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 119 }] },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    // Plain Node.js programs (the examples): Node's globals, `process` and `console` among them.
    languageOptions: { globals: globals.node },
  },
  {
    // Tools' CommonJS configs (dependency-cruiser's).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
