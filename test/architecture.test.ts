/**
 * The layers' import direction (ARCHITECTURE.md) is enforced by `npx eslint .`: each forbidden
 * import below, written into a file of the importing layer, must be reported, and each allowed
 * one must not be.
 */
import { join } from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')
const eslint = new ESLint({ cwd: root })

async function wrongWay(file: string, importLine: string): Promise<boolean> {
  const [result] = await eslint.lintText(`${importLine}\nvoid 0\n`, { filePath: join(root, file) })
  return (result?.messages ?? []).some((m) => m.message.includes('goes the wrong way'))
}

const FORBIDDEN: [string, string, string][] = [
  ['core → service', 'src/scope.ts', "import { guardStore } from './service/guarded-store.js'"],
  ['core → http', 'src/errors.ts', "import { checkCsrf } from './http/csrf.js'"],
  ['options → http', 'src/options/plant.ts', "import { checkCsrf } from '../http/csrf.js'"],
  ['core → testing', 'src/api-key.ts', "import { keyStoreConformance } from './testing/index.js'"],
  [
    'core → adapter',
    'src/hash.ts',
    "import { PostgresKeyStore } from '../adapters/stores/postgres/index.js'",
  ],
  ['core → framework', 'src/bearer.ts', "import express from 'express'"],
  ['core → driver', 'src/memory-key-store.ts', "import pg from 'pg'"],
  ['core → OpenTelemetry', 'src/telemetry.ts', "import { trace } from '@opentelemetry/api'"],
  [
    'service → OpenTelemetry',
    'src/service/plant.ts',
    "import { metrics } from '@opentelemetry/api'",
  ],
  [
    'telemetry adapter → core internals',
    'adapters/telemetry/otel/plant.ts',
    "import { guardStore } from '../../../src/service/guarded-store.js'",
  ],
  [
    'telemetry adapter → root entry values',
    'adapters/telemetry/otel/plant.ts',
    "import { AuthError } from '../../../src/index.js'",
  ],
  ['telemetry adapter → driver', 'adapters/telemetry/otel/plant.ts', "import pg from 'pg'"],
  ['lib → core', 'src/lib/plant.ts', "import { hasScopes } from '../scope.js'"],
  ['lib → service', 'src/lib/plant.ts', "import { guardStore } from '../service/guarded-store.js'"],
  ['service → http', 'src/service/plant.ts', "import { checkCsrf } from '../http/csrf.js'"],
  [
    'service → testing',
    'src/service/plant.ts',
    "import { keyStoreConformance } from '../testing/index.js'",
  ],
  [
    'http → service',
    'src/http/plant.ts',
    "import { guardStore } from '../service/guarded-store.js'",
  ],
  [
    'http → adapter',
    'src/http/plant.ts',
    "import { requireApiKey } from '../../adapters/frameworks/express/index.js'",
  ],
  ['testing → http', 'src/testing/plant.ts', "import { checkCsrf } from '../http/csrf.js'"],
  [
    'framework adapter → store adapter',
    'adapters/frameworks/express/plant.ts',
    "import { RedisKeyStore } from '../../stores/redis/index.js'",
  ],
  [
    'framework adapter → core internals',
    'adapters/frameworks/koa/plant.ts',
    "import { isUuid } from '../../../src/lib/uuid.js'",
  ],
  [
    'framework adapter → driver',
    'adapters/frameworks/fastify/plant.ts',
    "import Redis from 'ioredis'",
  ],
  [
    'framework adapter → root entry instead of the kit',
    'adapters/frameworks/express/plant.ts',
    "import { createApiKeyAuth } from '../../../src/index.js'",
  ],
  [
    'framework adapter → http internals',
    'adapters/frameworks/koa/plant.ts',
    "import { checkCsrf } from '../../../src/http/csrf.js'",
  ],
  [
    'store adapter → framework adapter',
    'adapters/stores/redis/plant.ts',
    "import { apiKeyRoutes } from '../../frameworks/express/index.js'",
  ],
  [
    'store adapter → core internals',
    'adapters/stores/postgres/plant.ts',
    "import { guardStore } from '../../../src/service/guarded-store.js'",
  ],
  [
    'store adapter → core module behind the store kit',
    'adapters/stores/sqlite/plant.ts',
    "import { rollRefusal } from '../../../src/store-rules.js'",
  ],
  ['store adapter → framework', 'adapters/stores/sqlite/plant.ts', "import Koa from 'koa'"],
  ['cli → framework', 'adapters/cli/plant.ts', "import express from 'express'"],
  [
    'cli → framework adapter',
    'adapters/cli/plant.ts',
    "import { apiKeyRoutes } from '../frameworks/express/index.js'",
  ],
  [
    'cli → core internals',
    'adapters/cli/commands/plant.ts',
    "import { guardStore } from '../../../src/service/guarded-store.js'",
  ],
]

const ALLOWED: [string, string, string][] = [
  ['service → core', 'src/service/plant.ts', "import { hasScopes } from '../scope.js'"],
  ['http → core', 'src/http/plant.ts', "import { AuthError } from '../errors.js'"],
  [
    'http → service types',
    'src/http/plant.ts',
    "import type { GuardedStore } from '../service/guarded-store.js'",
  ],
  ['lib → errors', 'src/lib/plant.ts', "import { AuthError } from '../errors.js'"],
  [
    'framework adapter → adapter kit',
    'adapters/frameworks/express/plant.ts',
    "import { createApiKeyGuard } from '../../../src/http/index.js'",
  ],
  [
    'framework adapter → its framework',
    'adapters/frameworks/koa/plant.ts',
    "import Koa from 'koa'",
  ],
  [
    'framework adapter → root entry types',
    'adapters/frameworks/koa/plant.ts',
    "import type { ApiKeyAuth } from '../../../src/index.js'",
  ],
  ['store adapter → its driver', 'adapters/stores/postgres/plant.ts', "import pg from 'pg'"],
  [
    'store adapter → the store kit',
    'adapters/stores/sqlite/plant.ts',
    "import { rollRefusal } from '../../../src/store-kit.js'",
  ],
  [
    'cli → root entry',
    'adapters/cli/plant.ts',
    "import { createApiKeyAuth } from '../../src/index.js'",
  ],
  [
    'cli → store adapter',
    'adapters/cli/stores/plant.ts',
    "import { PostgresKeyStore } from '../../stores/postgres/index.js'",
  ],
  ['cli → driver', 'adapters/cli/stores/plant.ts', "import pg from 'pg'"],
  [
    'telemetry adapter → its API',
    'adapters/telemetry/otel/plant.ts',
    "import { trace } from '@opentelemetry/api'",
  ],
  [
    'telemetry adapter → root entry types',
    'adapters/telemetry/otel/plant.ts',
    "import type { AuthTelemetry } from '../../../src/index.js'",
  ],
]

describe('layers: npx eslint . enforces the import direction', () => {
  it.each(FORBIDDEN)('%s is reported', async (_name, file, line) => {
    expect(await wrongWay(file, line)).toBe(true)
  })
  it.each(ALLOWED)('%s is allowed', async (_name, file, line) => {
    expect(await wrongWay(file, line)).toBe(false)
  })
})
