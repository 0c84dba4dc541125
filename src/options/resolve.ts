/**
 * Validates the options once, at construction, and fills in the defaults; keeps the secrets apart.
 * Internal: not exported from the package.
 * @module
 */
import { AuthError } from '../errors.js'
import { copySession, hideSession, type SessionOptions, withoutSecret } from './session.js'
import { explainIssues } from '../lib/explain-issues.js'
import { secretBytes } from '../lib/secret-strength.js'
import { DEFAULTS } from './defaults.js'
import { resolveLimits } from './limits.js'
import { consoleLogger, guardLogger, silentLogger } from './loggers.js'
import { copyPepperRing, isPepperRing, type ResolvedPepperRing } from './pepper.js'
import { optionsSchema } from './schema.js'
import type { AuthLogger, ResolvedAuthOptions } from './types.js'

/** The secret parts of the options: never on an object a user can reach. @internal */
export interface AuthSecrets {
  /** A copy of the pepper, or `undefined` for none (or for a ring). */
  pepper: Uint8Array | undefined
  /** A copy of the pepper ring, when `pepper` is one. */
  pepperRing: ResolvedPepperRing | undefined
}

/**
 * Validates options and fills in defaults.
 * @throws {@link AuthError} `CONFIGURATION_ERROR` naming every bad option.
 * @internal
 */
export function resolveOptions(input: unknown): {
  options: ResolvedAuthOptions
  secrets: AuthSecrets
} {
  // `pepper: process.env.X` with X unset must not quietly mean "no pepper".
  if (typeof input === 'object' && input !== null && Object.hasOwn(input, 'pepper')) {
    if ((input as { pepper?: unknown }).pepper === undefined) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message:
          'Invalid @vydra/auth options: pepper: is undefined (an unset environment variable?); ' +
          'omit the option or pass null for no pepper',
        issues: [{ path: ['pepper'], message: 'is undefined' }],
      })
    }
  }
  const parsed = optionsSchema.safeParse(input)
  if (!parsed.success) {
    const { issues, details } = explainIssues(parsed.error.issues)
    throw new AuthError('CONFIGURATION_ERROR', {
      message: `Invalid @vydra/auth options: ${details}`,
      issues,
    })
  }
  const o = parsed.data
  warnDeprecated(o, o.logger === false ? silentLogger : guardLogger(o.logger ?? consoleLogger))
  const maxEntries = o.cache === false ? 0 : (o.cache?.maxEntries ?? DEFAULTS.cache.maxEntries)
  const session = copySession(o.session as SessionOptions | undefined)
  const resolved: ResolvedAuthOptions = {
    store: o.store,
    prefix: o.prefix ?? DEFAULTS.prefix,
    environment: o.environment ?? DEFAULTS.environment,
    scopes: o.scopes === undefined ? undefined : Object.freeze([...new Set(o.scopes)]),
    session: withoutSecret(session),
    sessionCookie: o.session?.cookie ?? DEFAULTS.sessionCookie,
    cache:
      o.cache === false
        ? false
        : {
            ttlMs: o.cache?.ttlMs ?? DEFAULTS.cache.ttlMs,
            maxEntries,
            negativeTtlMs: o.cache?.negativeTtlMs ?? DEFAULTS.cache.negativeTtlMs,
            negativeMaxEntries: o.cache?.negativeMaxEntries ?? maxEntries,
          },
    storeTimeoutMs: o.storeTimeoutMs ?? DEFAULTS.storeTimeoutMs,
    touchIntervalMs: o.touchIntervalMs ?? DEFAULTS.touchIntervalMs,
    maxKeysPerUser: o.maxKeysPerUser ?? DEFAULTS.maxKeysPerUser,
    maxExpiresInDays: o.maxExpiresInDays ?? DEFAULTS.maxExpiresInDays,
    maxRollGraceMs: o.maxRollGraceMs ?? DEFAULTS.maxRollGraceMs,
    ownerTypes: Object.freeze([...new Set(o.ownerTypes ?? DEFAULTS.ownerTypes)]),
    realm: o.realm ?? DEFAULTS.realm,
    allowedOrigins:
      o.allowedOrigins === undefined ? undefined : Object.freeze([...o.allowedOrigins]),
    clockToleranceMs: o.clockToleranceMs ?? DEFAULTS.clockToleranceMs,
    now: o.now ?? Date.now,
    logger: o.logger === false ? silentLogger : guardLogger(o.logger ?? consoleLogger),
    limits: resolveLimits(o.limits),
    usageStore: o.usageStore,
    usageFlushMs: o.usageFlushMs ?? DEFAULTS.usageFlushMs,
    expiryStore: o.expiryStore,
    telemetry: o.telemetry,
    auditStore: o.auditStore,
  }
  if (session !== undefined) hideSession(resolved, session)
  const ring = isPepperRing(o.pepper) ? copyPepperRing(o.pepper) : undefined
  const pepper =
    o.pepper === undefined || o.pepper === null || isPepperRing(o.pepper)
      ? undefined
      : secretBytes(o.pepper).slice()
  return { options: resolved, secrets: { pepper, pepperRing: ring } }
}

// Once per process and option, like Node's own deprecation warnings.
const warned = new Set<string>()

function warnDeprecated(
  options: { session?: unknown; allowedOrigins?: unknown },
  logger: AuthLogger,
): void {
  for (const name of ['session', 'allowedOrigins'] as const) {
    if (options[name] === undefined || warned.has(name)) continue
    warned.add(name)
    logger.warn(
      `createApiKeyAuth({ ${name} }) is deprecated since 0.2: pass ${name} to the key routes instead, e.g. apiKeyRoutes(auth, { ${name} }) (it still works in 0.2)`,
      { option: name },
    )
  }
}
