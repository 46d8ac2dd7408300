import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'clients/*/dist/**', 'clients/*/src/schema.ts', 'infra/**', 'migrations/**', 'coverage/**', '.data/**', '.bench/**', 'memory:/**'] },
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
            { regex: '(^|/)repositories/|(^|/)models(/(?!enums\\.js$)|$)', message: 'No repositories or tables under src/api/: call a service (domain enums come from models/enums.ts).' },
          ],
        },
      ],
    },
  },
  {
    // Floors: core and models at the ground; repositories and adapters above them; services above those; the two
    // edges (api/, workers/) above services; container.ts and entrypoints/ on top. Nothing imports a higher floor.
    files: ['src/core/**/*.ts', 'src/models/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/repositories/*', '**/adapters/*', '**/services/*', '**/api/*', '**/workers/*', '**/container.js', '**/entrypoints/*'], message: 'core/ and models/ are the ground floor: they import nothing above them.' }] }],
    },
  },
  {
    files: ['src/repositories/**/*.ts', 'src/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/services/*', '**/api/*', '**/workers/*', '**/container.js', '**/entrypoints/*'], message: 'Repositories and adapters sit below services: they import only core/ and models/.' }] }],
    },
  },
  {
    files: ['src/services/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/api/*', '**/workers/*', '**/container.js', '**/entrypoints/*'], message: 'Services sit below the edges (api/, workers/) and the container: types they share live in services/.' },
            { group: ['**/adapters/*/*', '!**/adapters/*/cache.js', '!**/adapters/*/queue.js', '!**/adapters/*/storage.js', '!**/adapters/payments/provider.js', '!**/adapters/*/mailer.js'], allowTypeImports: false, message: 'Services see ports only (cache.ts, queue.ts, storage.ts, payments/provider.ts, mailer.ts): the container decides which adapter stands behind them.' },
          ],
        },
      ],
    },
  },
  {
    // Background work is an edge like HTTP: handlers call services, never repositories, tables or SQL.
    files: ['src/workers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['drizzle-orm', 'drizzle-orm/*', 'pg', '@electric-sql/*'], message: 'No database access under src/workers/: call a service.' },
            { group: ['**/repositories/*', '**/models/*', '**/models', '**/api/*', '**/container.js', '**/entrypoints/*'], allowTypeImports: false, message: 'Workers call services (handed in by the container); they import no repositories, tables, routes or the container.' },
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
  {
    // One place for a resource's schemas: src/api/routes/<resource>.schemas.ts. A routes file declares routes and
    // handlers only (shared pieces such as IdParam, ListQuery and page() come from registry.ts).
    files: ['src/api/routes/*.routes.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='z'][callee.property.name='string']",
          message: 'Use str() from src/core/strings.ts: it refuses NUL bytes (PostgreSQL cannot store them).',
        },
        {
          selector: "CallExpression[callee.object.name='z'], CallExpression[callee.object.object.name='z'], CallExpression[callee.name='str'], CallExpression[callee.property.name=/^(extend|merge|pick|omit|partial|strict)$/]",
          message: 'Declare schemas in src/api/routes/<resource>.schemas.ts and import them into the routes file.',
        },
      ],
    },
  },
);
