/**
 * The zod schema of {@link ApiKeyAuthOptions}. Its shape is checked against the interface at
 * compile time (`satisfies`): an option added to one and not the other does not build.
 * @module
 */
import type { AuthTelemetry } from '../telemetry.js'
import type { AuditStore } from '../audit-store.js'
import { z } from 'zod'
import { isValidEnvironment, isValidKeyPrefix } from '../api-key.js'
import { sessionSchema } from './session.js'
import { limitsOptionsSchema } from './limits.js'
import type { KeyStore } from '../key-store.js'
import type { UsageStore } from '../usage-store.js'
import type { ExpiryStore } from '../expiry-store.js'
import { MIN_SECRET_BYTES, secretSchema } from '../lib/secret-strength.js'
import { isOrigin } from '../lib/origin.js'
import { validateScope } from '../scope.js'
import { REALM_PATTERN } from './defaults.js'
import { pepperRingSchema } from './pepper.js'
import type { ApiKeyAuthOptions, AuthLogger } from './types.js'

const isFunction = (value: unknown): boolean => typeof value === 'function'
const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null

const storeSchema = z.custom<KeyStore>(
  (value) =>
    isObject(value) &&
    ['insert', 'findByHash', 'listByUser', 'revoke'].every((m) =>
      isFunction((value as Record<string, unknown>)[m]),
    ) &&
    ['touch', 'onRevoke'].every((m) => {
      const method = (value as Record<string, unknown>)[m]
      return method === undefined || isFunction(method)
    }),
  { message: 'must implement KeyStore (insert, findByHash, listByUser, revoke)' },
)

const usageStoreSchema = z.custom<UsageStore>(
  (value) =>
    isObject(value) &&
    ['addUsage', 'readUsage'].every((m) => isFunction((value as Record<string, unknown>)[m])),
  { message: 'must implement UsageStore (addUsage, readUsage)' },
)

const expiryStoreSchema = z.custom<ExpiryStore>(
  (value) =>
    isObject(value) &&
    ['listExpiring', 'claimNotice'].every((m) => isFunction((value as Record<string, unknown>)[m])),
  { message: 'must implement ExpiryStore (listExpiring, claimNotice)' },
)

const telemetrySchema = z.custom<AuthTelemetry>(
  (value) =>
    isObject(value) &&
    ['verified', 'operation', 'storeCall', 'revocationPropagated', 'attach'].every((m) =>
      isFunction((value as Record<string, unknown>)[m]),
    ),
  {
    message:
      'must implement AuthTelemetry (verified, operation, storeCall, revocationPropagated, attach): openTelemetry() from @vydra/auth/otel',
  },
)

const auditStoreSchema = z.custom<AuditStore>(
  (value) =>
    isObject(value) &&
    ['appendAudit', 'listAudit'].every((m) => isFunction((value as Record<string, unknown>)[m])),
  { message: 'must implement AuditStore (appendAudit, listAudit)' },
)

const loggerSchema = z.union(
  [
    z.literal(false),
    z.custom<AuthLogger>(
      (v) =>
        isObject(v) &&
        isFunction((v as Record<string, unknown>).warn) &&
        isFunction((v as Record<string, unknown>).error) &&
        ['info', 'debug'].every((m) => {
          const method = (v as Record<string, unknown>)[m]
          return method === undefined || isFunction(method)
        }),
      { message: 'must have warn() and error(), and info()/debug() only as functions' },
    ),
  ],
  { error: 'expected false or an object with warn() and error() (info()/debug() optional)' },
)

const shape = {
  store: storeSchema,
  prefix: z.string().refine(isValidKeyPrefix, 'must match [a-z][a-z0-9]{0,31}').optional(),
  environment: z.string().refine(isValidEnvironment, 'must match [a-z][a-z0-9]{0,31}').optional(),
  pepper: z
    .union([secretSchema(MIN_SECRET_BYTES), pepperRingSchema], {
      error:
        'expected a string or bytes (Uint8Array) of at least 32 bytes, or a pepper ring { current: { id, secret }, previous? }',
    })
    .nullable()
    .optional(),
  scopes: z
    .array(z.string().refine(validateScope, 'not a valid scope'))
    .min(1)
    .max(1000)
    .optional(),
  session: sessionSchema.optional(),
  cache: z
    .union(
      [
        z.literal(false),
        z
          .object({
            ttlMs: z.number().int().min(0).max(30_000).optional(),
            maxEntries: z.number().int().min(0).max(10_000_000).optional(),
            negativeTtlMs: z.number().int().min(0).max(60_000).optional(),
            negativeMaxEntries: z.number().int().min(0).max(10_000_000).optional(),
          })
          .strict(),
      ],
      { error: 'expected false or { ttlMs?, maxEntries?, negativeTtlMs?, negativeMaxEntries? }' },
    )
    .optional(),
  storeTimeoutMs: z.number().int().min(1).max(60_000).optional(),
  touchIntervalMs: z.number().int().min(0).max(86_400_000).optional(),
  maxKeysPerUser: z.number().int().min(1).max(1_000_000).optional(),
  maxExpiresInDays: z.number().int().min(1).max(36_500).optional(),
  maxRollGraceMs: z
    .number()
    .int()
    .min(0)
    .max(365 * 86_400_000)
    .optional(),
  ownerTypes: z
    .array(z.enum(['user', 'org', 'svc']))
    .min(1)
    .readonly()
    .optional(),
  realm: z
    .string()
    .regex(REALM_PATTERN, 'printable ASCII without quotes or backslashes')
    .optional(),
  allowedOrigins: z
    .array(z.string().refine(isOrigin, 'must be an origin like https://app.example'))
    .optional(),
  clockToleranceMs: z.number().int().min(0).max(300_000).optional(),
  now: z.custom<() => Date | number>(isFunction, { message: 'must be a function' }).optional(),
  logger: loggerSchema.optional(),
  limits: limitsOptionsSchema.optional(),
  usageStore: usageStoreSchema.optional(),
  telemetry: telemetrySchema.optional(),
  usageFlushMs: z.number().int().min(1_000).max(300_000).optional(),
  expiryStore: expiryStoreSchema.optional(),
  auditStore: auditStoreSchema.optional(),
} satisfies { [K in keyof Required<ApiKeyAuthOptions>]: z.ZodType<ApiKeyAuthOptions[K]> }

/** Validates the options object as a whole: unknown options are refused. */
export const optionsSchema = z.object(shape).strict()
