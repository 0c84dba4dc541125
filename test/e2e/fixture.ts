/** One auth service with keys of every kind, sessions, spies and a fake clock, for the e2e suite. */
import { SignJWT } from 'jose'
import {
  type ApiKeyPrincipal,
  type ApiKeyRoutesOptions,
  createApiKeyAuth,
  MemoryAuditStore,
  generateApiKey,
  type KeyLimits,
  MemoryLimitStore,
} from '../../src/index.js'
import { createClock, type FakeClock } from '../support/clock.js'
import { createLogSink, type LogSink } from '../support/log-sink.js'
import { registerKey, registerSecret } from '../support/secret-scan.js'
import { createStoreSpy, type StoreSpy } from '../support/store-spy.js'
import type { AppContext } from './routes.js'

/** The scope registry of the test service. */
export const REGISTRY = [
  'models:*',
  'models:read',
  'models:write',
  'jobs:*',
  'jobs:read',
  'jobs:write',
  'upload:*',
  'upload:write',
  'account:read',
]
export const SESSION_SECRET = 'e2e-session-secret-that-is-long-enough-0123456789'
export const ISSUER = 'https://auth.vydra.test'
export const AUDIENCE = 'vydra-api'
export const MAX_KEYS = 10

/** Keys the suite presents. */
export interface FixtureKeys {
  /** `models:read`, user u123. */
  K: string
  star: string
  modelsAll: string
  modelsWrite: string
  jobsAll: string
  uploadAll: string
  accountRead: string
  expired: string
  revoked: string
  /** User `org_team_42` (underscores in the userId). */
  org: string
  /** Another user's key. */
  attacker: string
  /** Well formed, never stored. */
  unknown: string
  /** A test-environment key, on a live instance. */
  testEnv: string
  /** `models:read` with a rate limit it never reaches (1 000 000 per minute): headers on 200. */
  limited: string
  /** `models:read` with no credits left (refilled to 1 every 31 days): 429 CREDITS_EXHAUSTED. */
  broke: string
  /** `models:read`, 3 per minute: the 5-unit `/api/v1/batch` never fits (429 RATE_LIMITED). */
  tight: string
}

/** Everything a suite run shares. */
export interface Fixture extends AppContext {
  spy: StoreSpy
  clock: FakeClock
  logs: LogSink
  keys: FixtureKeys
  keyIds: Partial<Record<keyof FixtureKeys, string>>
  hits: ApiKeyPrincipal[]
  /** Paths whose handler ran with no principal (optional routes without a key). */
  anonymousHits: string[]
  /** A `__session` JWT for `userId`, signed with the test secret; `claims` override the defaults. */
  sessionToken(userId: string | undefined, claims?: Record<string, unknown>): Promise<string>
  /** `Cookie` header value with a valid session for `userId`. */
  cookie(userId: string): Promise<string>
  /** Every key presented or issued so far, for leak scans. */
  secrets: string[]
}

/** The key routes' options of every app: sessions are an option of the routes (0.2). */
export const ROUTE_OPTIONS = {
  session: { jwt: { secret: SESSION_SECRET, issuer: ISSUER, audience: AUDIENCE } },
} as const satisfies ApiKeyRoutesOptions

/** Builds the fixture: keys are created at a fixed time, then the clock moves 2 days on. */
export async function createFixture(): Promise<Fixture> {
  const spy = createStoreSpy({ lifecycle: true })
  const clock = createClock()
  const logs = createLogSink(['info', 'debug'])
  const auth = createApiKeyAuth({
    store: spy.store,
    scopes: REGISTRY,
    maxKeysPerUser: MAX_KEYS,
    now: clock.now,
    logger: logs.logger,
    limits: { store: new MemoryLimitStore() },
    // The audit log (issue 14), for GET :id/events.
    auditStore: new MemoryAuditStore(),
  })
  const failingStore = createStoreSpy()
  failingStore.behave.findByHash = {
    kind: 'reject',
    error: new Error('connect ECONNREFUSED 10.0.0.5:5432 (SELECT * FROM api_keys)'),
  }
  const failing = createApiKeyAuth({ store: failingStore.store, logger: logs.logger })
  const keyIds: Fixture['keyIds'] = {}
  const make = async (
    name: keyof FixtureKeys,
    userId: string,
    scopes: string[],
    expiresInDays?: number,
    limits?: KeyLimits,
  ): Promise<string> => {
    const created = await auth.createKey({ userId, name, scopes, expiresInDays, limits })
    keyIds[name] = created.id
    return created.key
  }
  const expired = await make('expired', 'u123', ['models:read'], 1)
  clock.advance(2 * 86_400_000)
  const keys: FixtureKeys = {
    K: await make('K', 'u123', ['models:read']),
    star: await make('star', 'u123', ['*']),
    modelsAll: await make('modelsAll', 'u123', ['models:*']),
    modelsWrite: await make('modelsWrite', 'u123', ['models:write']),
    jobsAll: await make('jobsAll', 'u123', ['jobs:*']),
    uploadAll: await make('uploadAll', 'u123', ['upload:*']),
    accountRead: await make('accountRead', 'u123', ['account:read']),
    expired,
    revoked: await make('revoked', 'u123', ['models:read']),
    org: await make('org', 'org_team_42', ['models:read']),
    attacker: await make('attacker', 'mallory', ['*']),
    unknown: generateApiKey('u123'),
    testEnv: generateApiKey('u123', { environment: 'test' }),
    limited: await make('limited', 'plan_user', ['models:read'], undefined, {
      rate: [{ name: 'minute', limit: 1_000_000, windowMs: 60_000 }],
    }),
    broke: await make('broke', 'plan_user', ['models:read'], undefined, {
      credits: { remaining: 0, refill: { amount: 1, intervalMs: 31 * 86_400_000 } },
    }),
    tight: await make('tight', 'plan_user', ['models:read'], undefined, {
      rate: [{ name: 'minute', limit: 3, windowMs: 60_000 }],
    }),
  }
  await auth.revokeKey({ userId: 'u123', keyId: keyIds.revoked as string })
  // The log scan of every test (test/support/log-scan.ts) looks for these too.
  registerSecret(SESSION_SECRET)
  for (const key of Object.values(keys)) registerKey(key)
  const hits: ApiKeyPrincipal[] = []
  const anonymousHits: string[] = []
  const sessionToken: Fixture['sessionToken'] = (userId, claims = {}) => {
    const now = Math.floor(clock.time / 1000)
    const payload: Record<string, unknown> = {
      sub: userId,
      iss: ISSUER,
      aud: AUDIENCE,
      iat: now,
      exp: now + 3600,
      ...claims,
    }
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k]
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SESSION_SECRET))
  }
  return {
    auth,
    failing,
    spy,
    clock,
    logs,
    keys,
    keyIds,
    hits,
    anonymousHits,
    frameworkErrors: [],
    onHit: (path, principal) => {
      if (principal) hits.push(principal)
      else anonymousHits.push(path)
    },
    sessionToken,
    cookie: async (userId) => `__session=${await sessionToken(userId)}`,
    secrets: Object.values(keys),
  }
}
