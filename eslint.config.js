import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'docs/api/**',
      'node_modules/**',
      'coverage/**',
      '.tmp/**',
      // StrykerJS: its sandbox copy of the repository and its reports.
      '.stryker-tmp/**',
      'reports/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src/**/*.ts', 'adapters/**/*.ts'],
    rules: {
      '@typescript-eslint/explicit-function-return-type': ['error', { allowExpressions: true }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='Math'][property.name='random']",
          message: 'Use a CSPRNG.',
        },
      ],
    },
  },
  // Size: one abstraction per module, functions a reader can hold in mind. The conformance kit is
  // the exception: one suite whose cases are one list, each a few lines (see its header); so are
  // the key page's assets, browser code and CSS kept as strings (src/http/ui/*-source.ts).
  {
    files: ['src/**/*.ts'],
    ignores: ['src/testing/**', 'src/http/ui/*-source.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      'max-lines': ['error', { max: 250, skipBlankLines: true, skipComments: true }],
    },
  },
  // The layers and which way imports go (ARCHITECTURE.md). Each file belongs to exactly one
  // layer below, and each layer lists everything it must not import. `import type` is allowed
  // where a layer only names another's types.
  ...layers([
    {
      name: 'lib (helpers: depend on nothing but the error type)',
      files: ['src/lib/**/*.ts'],
      banned: ['../*', '!../errors.js', '../*/**', 'node:*'],
      allowTypeImports: true,
    },
    {
      name: 'core (key format, hashing, scopes, errors, options, the store port)',
      files: ['src/*.ts', 'src/options/**/*.ts', 'src/limits/**/*.ts'],
      ignores: ['src/index.ts', 'src/create-api-key-auth.ts'],
      banned: [
        '**/service/**',
        './service/*',
        '**/http/**',
        './http/*',
        '**/testing/**',
        './testing/*',
        // Web runtimes (issue 15): node:crypto only through src/lib/node-crypto.ts.
        'node:*',
      ],
    },
    {
      name: 'service (the auth service and its parts)',
      files: ['src/service/**/*.ts', 'src/create-api-key-auth.ts'],
      banned: ['**/http/**', './http/*', '**/testing/**', './testing/*', 'node:*'],
    },
    {
      name: 'http (the framework-neutral HTTP layer)',
      files: ['src/http/**/*.ts'],
      banned: ['**/service/**', '../service/*', '**/testing/**', '**/adapters/**', 'node:*'],
      allowTypeImports: true,
    },
    {
      name: 'testing (the store conformance kit)',
      files: ['src/testing/**/*.ts'],
      banned: ['**/http/**', '**/service/**'],
    },
    {
      name: 'framework adapters (inbound): the adapter kit, types of the root entry, their framework',
      files: ['adapters/frameworks/**/*.ts'],
      banned: [
        '../../stores/**',
        '../../../src/*.js',
        '../../../src/*/**',
        '!../../../src/http/index.js',
        'pg',
        'ioredis',
        'better-sqlite3',
      ],
      frameworks: true,
      allowTypeImports: true,
    },
    {
      name: 'telemetry adapters (outbound): types of the root entry, their telemetry API',
      files: ['adapters/telemetry/**/*.ts'],
      banned: [
        '../../stores/**',
        '../../frameworks/**',
        '../../../src/*.js',
        '../../../src/*/**',
        'pg',
        'ioredis',
        'better-sqlite3',
        'express',
        'fastify',
        'koa',
        'hono',
        'hono/*',
        'next',
        'next/*',
      ],
      frameworks: true,
      allowTypeImports: true,
    },
    {
      name: 'cli (inbound from a terminal): the root entry, the store adapters and their drivers',
      files: ['adapters/cli/**/*.ts'],
      banned: [
        '../frameworks/**',
        '../../frameworks/**',
        '../../src/*',
        '!../../src/index.js',
        '../../src/*/**',
        '../../../src/*',
        '!../../../src/index.js',
        '../../../src/*/**',
        'express',
        'fastify',
        'koa',
      ],
      frameworks: true,
    },
    {
      name: 'store adapters (outbound)',
      files: ['adapters/stores/**/*.ts'],
      banned: [
        '../../frameworks/**',
        '../../../src/*',
        '!../../../src/index.js',
        // The store kit: the lifecycle rules a store applies, public as @vydra/auth/store-kit.
        '!../../../src/store-kit.js',
        '../../../src/*/**',
        'express',
        'fastify',
        'koa',
      ],
      frameworks: true,
    },
  ]),
  {
    // Web runtimes (issue 15): the core and the kit load on Bun, Deno and workerd, which has no
    // Buffer; only the Node stream reader and what runs where node:crypto exists may use it.
    files: ['src/**/*.ts'],
    ignores: ['src/testing/**', 'src/http/read-body.ts', 'src/http/secret-scanning/signature.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        {
          name: 'Buffer',
          message: 'Node-only: use Uint8Array, TextEncoder, btoa/atob (docs/runtimes.md).',
        },
      ],
    },
  },
)

// One `no-restricted-imports` rule per layer: the core never imports a framework, a driver or
// an adapter; adapters (which may) are each limited to their own kind.
function layers(list) {
  const outside = [
    'express',
    'fastify',
    'fastify-plugin',
    'koa',
    'hono',
    'hono/*',
    'next',
    'next/*',
    'pg',
    'ioredis',
    'better-sqlite3',
    // Telemetry: only @vydra/auth/otel imports it (an optional peer dependency).
    '@opentelemetry/*',
  ]
  return list.map(
    ({ name, files, ignores, banned, allowTypeImports = false, frameworks = false }) => ({
      files,
      ...(ignores === undefined ? {} : { ignores }),
      rules: {
        '@typescript-eslint/no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                group: [...new Set([...banned, '**/adapters/**', ...(frameworks ? [] : outside)])],
                allowTypeImports,
                message: `Layer "${name}": this import goes the wrong way (ARCHITECTURE.md).`,
              },
            ],
          },
        ],
      },
    }),
  )
}
