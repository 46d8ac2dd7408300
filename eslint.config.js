import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The scope of a transaction is built by src/db/scopes.ts only (forTenant, acrossCentres, systemWide; reScope inside
 * one): no literal scope object, no local `scope(ctx)` copy. Listed in every no-restricted-syntax block below, since a
 * later block's list replaces an earlier one's for the files both match.
 */
const SCOPE_LITERALS = [
  {
    selector: "CallExpression[callee.property.name=/^(scoped|unitOfWork)$/][arguments.0.type='ObjectExpression']",
    message: 'Build the scope with forTenant / acrossCentres / systemWide (src/db/scopes.ts), never as a literal.',
  },
  {
    selector: "ObjectExpression:has(> Property[key.name='tenantId']):has(> Property[key.name=/^(crossCentre|system)$/])",
    message: 'Build the scope with forTenant / acrossCentres / systemWide (src/db/scopes.ts), never as a literal.',
  },
  {
    selector: "VariableDeclarator[id.typeAnnotation.typeAnnotation.typeName.name='DbScope'] > ObjectExpression, TSAsExpression[typeAnnotation.typeName.name='DbScope'] > ObjectExpression, TSSatisfiesExpression[typeAnnotation.typeName.name='DbScope'] > ObjectExpression, :function[returnType.typeAnnotation.typeName.name='DbScope'] > BlockStatement > ReturnStatement > ObjectExpression, ArrowFunctionExpression[returnType.typeAnnotation.typeName.name='DbScope'] > ObjectExpression",
    message: 'Build the scope with forTenant / acrossCentres / systemWide (src/db/scopes.ts), never as a literal.',
  },
  {
    selector: "VariableDeclarator[id.name=/[sS]cope$/] > ArrowFunctionExpression > ObjectExpression:has(> Property[key.name='tenantId'])",
    message: 'No local scope(ctx) copy: call forTenant(ctx) (src/db/scopes.ts).',
  },
];

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
    files: ['src/**/*.ts'],
    ignores: ['src/db/scopes.ts'],
    rules: { 'no-restricted-syntax': ['error', ...SCOPE_LITERALS] },
  },
  {
    // The HTTP edge never touches the database: no SQL, drivers, tables or repositories under src/api/ nor in a
    // module's routes and schemas.
    files: ['src/api/**/*.ts', 'src/modules/**/*.routes.ts', 'src/modules/**/*.schemas.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['drizzle-orm', 'drizzle-orm/*', 'pg', '@electric-sql/pglite', '@electric-sql/*'], message: 'No database access under src/api/: call a service.' },
            { regex: '(^|/)db/|\\.repository\\.js$|(^|/)models(/(?!enums\\.js$)|$)', message: 'No repositories or tables in the HTTP edge: call a service (domain enums come from models/enums.ts).' },
          ],
        },
      ],
    },
  },
  {
    // Floors: core and models at the ground; db/ and adapters/ above them; auth/ and kernel/ above those; the modules'
    // services and repositories above those; the two edges (api/, workers/, and a module's routes and job handlers)
    // above services; container.ts, seed.ts and entrypoints/ on top. Nothing imports a higher floor
    // (tests/unit/import-graph.test.ts checks the whole graph, walls between modules included).
    files: ['src/core/**/*.ts', 'src/models/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/db/*', '**/adapters/*', '**/auth/*', '**/kernel/*', '**/modules/**', '**/api/*', '**/workers/*', '**/container.js', '**/seed.js', '**/entrypoints/*'], message: 'core/ and models/ are the ground floor: they import nothing above them.' }] }],
    },
  },
  {
    files: ['src/db/**/*.ts', 'src/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/auth/*', '**/kernel/*', '**/modules/**', '**/api/*', '**/workers/*', '**/container.js', '**/seed.js', '**/entrypoints/*'], message: 'db/ and adapters/ sit below services: they import only core/ and models/.' }] }],
    },
  },
  {
    files: ['src/modules/**/*.repository.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/*.service.js', '**/*.routes.js', '**/*.schemas.js', '**/*.job.js', '**/api/*', '**/workers/*', '**/container.js', '**/seed.js', '**/entrypoints/*'], message: 'A repository sits below the services: it imports no service, route or handler.' }] }],
    },
  },
  {
    files: ['src/auth/**/*.ts', 'src/kernel/**/*.ts', 'src/modules/**/*.ts'],
    ignores: ['src/modules/**/*.repository.ts', 'src/modules/**/*.routes.ts', 'src/modules/**/*.schemas.ts', 'src/modules/**/*.job.ts', 'src/modules/*/module.ts', 'src/modules/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/api/*', '**/workers/*', '**/container.js', '**/entrypoints/*'], message: 'Services sit below the edges (api/, workers/) and the container: types they share live in kernel/.' },
            { group: ['**/adapters/*/*', '!**/adapters/*/cache.js', '!**/adapters/*/queue.js', '!**/adapters/*/storage.js', '!**/adapters/payments/provider.js', '!**/adapters/*/mailer.js'], allowTypeImports: false, message: 'Services see ports only (cache.ts, queue.ts, storage.ts, payments/provider.ts, mailer.ts): the container decides which adapter stands behind them.' },
          ],
        },
      ],
    },
  },
  {
    // Background work is an edge like HTTP: handlers call services, never repositories, tables or SQL.
    files: ['src/workers/**/*.ts', 'src/modules/**/*.job.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['drizzle-orm', 'drizzle-orm/*', 'pg', '@electric-sql/*'], message: 'No database access under src/workers/: call a service.' },
            { group: ['**/db/*', '**/*.repository.js', '**/models/*', '**/models', '**/api/*', '**/container.js', '**/entrypoints/*'], allowTypeImports: false, message: 'Workers call services (handed in by the container); they import no repositories, tables, routes or the container.' },
          ],
        },
      ],
    },
  },
  {
    // Client text goes through the one NUL-refusing string type (src/core/strings.ts), never a bare z.string().
    files: ['src/api/**/*.ts', 'src/workers/**/*.ts', 'src/modules/**/*.routes.ts', 'src/modules/**/*.schemas.ts', 'src/modules/**/*.job.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='z'][callee.property.name='string']",
          message: 'Use str() from src/core/strings.ts: it refuses NUL bytes (PostgreSQL cannot store them).',
        },
        ...SCOPE_LITERALS,
      ],
    },
  },
  {
    // One place for a resource's schemas: <resource>.schemas.ts beside its routes (src/modules/<capability>/, or
    // src/api/routes/ for the edge's own). A routes file declares routes and handlers only (shared pieces such as
    // IdParam, ListQuery and page() come from src/api/routes/registry.ts).
    files: ['src/api/routes/*.routes.ts', 'src/modules/**/*.routes.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='z'][callee.property.name='string']",
          message: 'Use str() from src/core/strings.ts: it refuses NUL bytes (PostgreSQL cannot store them).',
        },
        {
          selector: "CallExpression[callee.object.name='z'], CallExpression[callee.object.object.name='z'], CallExpression[callee.name='str'], CallExpression[callee.property.name=/^(extend|merge|pick|omit|partial|strict)$/]",
          message: 'Declare schemas in <resource>.schemas.ts beside the routes file and import them into it.',
        },
        ...SCOPE_LITERALS,
      ],
    },
  },
);
