/** One place to build an auth service wired to a store spy, a fake clock and a log sink. */
import { randomUUID } from 'node:crypto'
import {
  createApiKeyAuth,
  formatKeyPrefix,
  hashApiKey,
  parseApiKey,
  type ApiKeyAuth,
  type ApiKeyAuthOptions,
  type ApiKeyRecord,
} from '../../src/index.js'
import { createClock, type FakeClock } from './clock.js'
import { createLogSink, type LogSink } from './log-sink.js'
import { registerKey, registerSecret } from './secret-scan.js'
import { createStoreSpy, type StoreSpy, type StoreSpyOptions } from './store-spy.js'

/** The seven scopes of the product page. */
export const PRODUCT_SCOPES = [
  '*',
  'models:*',
  'models:read',
  'models:write',
  'jobs:*',
  'upload:*',
  'account:read',
] as const

export interface Harness {
  auth: ApiKeyAuth
  spy: StoreSpy
  clock: FakeClock
  logs: LogSink
  /** Creates a key for `userId` (default `u123`) and returns it with its id. */
  issue(input?: {
    userId?: string
    scopes?: string[]
    expiresInDays?: number
    name?: string
  }): Promise<{ key: string; id: string }>
}

export type HarnessOptions = Omit<Partial<ApiKeyAuthOptions>, 'store'> & {
  spy?: StoreSpyOptions | StoreSpy
  clock?: FakeClock
}

/** Builds an auth service over a store spy, with a fake clock and a captured logger. */
export function setup(options: HarnessOptions = {}): Harness {
  const { spy: spyOption, clock: clockOption, ...rest } = options
  const spy =
    spyOption !== undefined && 'calls' in spyOption ? spyOption : createStoreSpy(spyOption)
  const clock = clockOption ?? createClock()
  const logs = createLogSink()
  // The log scan of every test (test/support/log-scan.ts) looks for these too.
  registerSecret(rest.pepper)
  const session = rest.session as { jwt?: { secret?: unknown } } | undefined
  registerSecret(session?.jwt?.secret)
  const auth = createApiKeyAuth({
    store: spy.store,
    now: clock.now,
    logger: logs.logger,
    ...rest,
  })
  return {
    auth,
    spy,
    clock,
    logs,
    issue: async (input = {}) => {
      const created = await auth.createKey({
        userId: input.userId ?? 'u123',
        name: input.name ?? 'test key',
        scopes: input.scopes ?? ['models:read'],
        ...(input.expiresInDays === undefined ? {} : { expiresInDays: input.expiresInDays }),
      })
      registerKey(created.key)
      return { key: created.key, id: created.id }
    },
  }
}

/** Runs `fn` and returns the AuthError code it rejects with, or `'resolved'`. */
export async function codeOf(fn: () => Promise<unknown> | unknown): Promise<string> {
  try {
    await fn()
    return 'resolved'
  } catch (error) {
    const code = (error as { code?: unknown }).code
    return typeof code === 'string' && (error as { name?: unknown }).name === 'AuthError'
      ? code
      : `non-AuthError: ${String(error)}`
  }
}

/** The error `fn` throws or rejects with (fails the test when it does not). */
export async function errorOf(fn: () => Promise<unknown> | unknown): Promise<unknown> {
  try {
    await fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

/** A sound stored record for `key` (SHA-256 digest, no pepper), with overrides. */
export function recordFor(
  key: string,
  overrides: Partial<Record<keyof ApiKeyRecord, unknown>> = {},
): ApiKeyRecord {
  const parsed = parseApiKey(key)
  return {
    id: randomUUID(),
    userId: parsed.userId,
    name: 'seeded',
    keyPrefix: formatKeyPrefix(key),
    scopes: ['models:read'],
    createdAt: new Date(Date.UTC(2025, 11, 31)),
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    hash: hashApiKey(key),
    ...overrides,
  } as ApiKeyRecord
}
