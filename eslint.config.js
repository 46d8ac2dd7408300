import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'infra/**', 'migrations/**', 'coverage/**', '.data/**', '.bench/**', 'memory:/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', performance: 'readonly', TextEncoder: 'readonly', Response: 'readonly', Headers: 'readonly', document: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // The HTTP edge never touches the database: no SQL, drivers, tables or repositories under src/api/.
    files: ['src/api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['drizzle-orm', 'drizzle-orm/*', 'pg', '@electric-sql/pglite', '@electric-sql/*'], message: 'No database access under src/api/: call a service.' },
            { group: ['**/repositories/*', '**/models/*', '**/models'], message: 'No repositories or tables under src/api/: call a service.' },
          ],
        },
      ],
    },
  },
  {
    // Client text goes through the one NUL-refusing string type (src/core/strings.ts), never a bare z.string().
    files: ['src/api/**/*.ts', 'src/workers/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='z'][callee.property.name='string']",
          message: 'Use str() from src/core/strings.ts: it refuses NUL bytes (PostgreSQL cannot store them).',
        },
      ],
    },
  },
);
