/**
 * `updateKey`: rename, replace metadata, and narrow (fewer scopes, an earlier expiry). Widening
 * is refused; the write is a compare-and-set on what the narrowing was checked against, so two
 * concurrent updates can never add up to a wider key. Internal: not exported from the package.
 * @module
 */
import { z } from 'zod'
import { AuthError, type ValidationIssue } from '../errors.js'
import { recordToInfo } from '../key-record.js'
import type { KeyUpdatePatch } from '../key-store.js'
import { scopeSatisfies, validateScope } from '../scope.js'
import type { ApiKeyInfo, ApiKeyRecord, KeyMetadata } from '../types.js'
import type { ServiceClock } from './clock.js'
import type { GuardedStore } from './guarded-store.js'
import type { KeyLifecycle, KeyRefInput } from './key-lifecycle.js'
import { toIssues } from './key-manager.js'
import { copyMetadata, metadataSchema } from './key-metadata.js'
import { keyNotFound } from './key-owner.js'
import { KEY_NAME_SCHEMA } from './key-name.js'
import type { ScopeRegistry } from './scope-registry.js'
import { freezeLimits, keyLimitsSchema } from '../limits/schema.js'
import type { KeyLimits } from '../limits/types.js'
import { effectiveLimits, limitWideningIssues } from './limits-narrowing.js'
import { auditChanges, type AuditLog } from './audit-log.js'
import type { ManagementContext } from './key-events.js'

/** Input of `updateKey`: the fields to change, each optional. */
export interface UpdateKeyInput extends KeyRefInput {
  /** A new name (1–100 characters, no control characters). */
  name?: string
  /** New metadata, replacing the old as a whole. */
  metadata?: KeyMetadata
  /** Fewer scopes: each must be covered by one the key already has. */
  scopes?: string[]
  /** An earlier expiry (a `Date` or an ISO 8601 string), in the future. */
  expiresAt?: Date | string
  /**
   * New usage limits, replacing the key's own as a whole (validated as at creation); `null`
   * removes them, so that the instance defaults apply. From the server any limits may be set;
   * with {@link UpdateKeyInput.limitsNarrowOnly} only narrower ones (docs/limits.md, "Changing a
   * key's limits").
   */
  limits?: KeyLimits | null
  /**
   * Refuse `limits` that would let the key do more than the limits that apply to it now
   * (`VALIDATION_ERROR` naming the field). The session route `PATCH /api/v1/api-keys/:id` always
   * sets it: a key's owner must not raise their own plan. @defaultValue `false`
   */
  limitsNarrowOnly?: boolean
}

/** What {@link createKeyUpdater} needs. */
export interface KeyUpdaterDeps {
  clock: ServiceClock
  store: GuardedStore
  lifecycle: KeyLifecycle
  registry: ScopeRegistry
  /** The instance default limits, which apply to a key without its own. */
  defaults?: Readonly<KeyLimits> | undefined
  /** Where each update's audit record goes. */
  audit: AuditLog
}

// Concurrent updates of one key retry this often before answering 409.
const MAX_ATTEMPTS = 5

const schema = z
  .object({
    name: KEY_NAME_SCHEMA.optional(),
    metadata: metadataSchema.optional(),
    scopes: z
      .array(z.string().refine(validateScope, 'not a valid scope'))
      .min(1)
      .max(50)
      .optional(),
    expiresAt: z
      .union(
        [
          z.date(),
          z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time or a Date' }),
        ],
        {
          error: 'must be an ISO 8601 date-time or a Date',
        },
      )
      .transform((value) => (typeof value === 'string' ? new Date(value) : value))
      .refine((date) => !Number.isNaN(date.getTime()), 'must be a valid date')
      .optional(),
    limits: keyLimitsSchema.nullable().optional(),
  })
  .refine((value) => Object.values(value).some((v) => v !== undefined), {
    message: 'nothing to update: give name, metadata, scopes, expiresAt or limits',
  })

// What in `patch` would give `record` more power than it has: each a validation issue.
function wideningIssues(
  record: ApiKeyRecord,
  patch: KeyUpdatePatch,
  now: number,
): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  patch.scopes?.forEach((scope, i) => {
    if (!record.scopes.some((granted) => scopeSatisfies(granted, scope))) {
      issues.push({
        path: ['scopes', i],
        message: 'would widen the key: not covered by its current scopes',
      })
    }
  })
  const expiresAt = patch.expiresAt
  if (expiresAt instanceof Date) {
    if (expiresAt.getTime() <= now) {
      issues.push({
        path: ['expiresAt'],
        message: 'must be in the future (revoke the key to end it now)',
      })
    } else if (record.expiresAt !== null && expiresAt.getTime() > record.expiresAt.getTime()) {
      issues.push({
        path: ['expiresAt'],
        message: 'would extend the key: must not be later than its current expiry',
      })
    }
  }
  return issues
}

/** Builds `updateKey`. */
export function createKeyUpdater(
  deps: KeyUpdaterDeps,
): (input: UpdateKeyInput, context?: ManagementContext) => Promise<ApiKeyInfo> {
  const { store, clock } = deps
  return async (input, context) => {
    const parsed = schema.safeParse(
      input === null || typeof input !== 'object'
        ? {}
        : {
            name: input.name,
            metadata: input.metadata,
            scopes: input.scopes,
            expiresAt: input.expiresAt,
            limits: input.limits,
          },
    )
    if (!parsed.success) {
      throw new AuthError('VALIDATION_ERROR', { issues: toIssues(parsed.error.issues) })
    }
    if (!store.capabilities.update) throw new AuthError('NOT_SUPPORTED')
    const patch: KeyUpdatePatch = {
      ...parsed.data,
      ...(parsed.data.scopes === undefined ? {} : { scopes: [...new Set(parsed.data.scopes)] }),
      ...(parsed.data.metadata === undefined
        ? {}
        : { metadata: copyMetadata(parsed.data.metadata) }),
      ...(parsed.data.limits === undefined
        ? {}
        : { limits: parsed.data.limits === null ? null : freezeLimits(parsed.data.limits) }),
    }
    const narrowOnly = input.limitsNarrowOnly === true
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { owner, record } = await deps.lifecycle.findOwn(input)
      if (record.revokedAt !== null) {
        throw new AuthError('KEY_STATE_CONFLICT', {
          message: 'A revoked key cannot be updated',
          reason: 'revoked',
        })
      }
      const now = clock()
      const issues = wideningIssues(record, patch, now)
      if (narrowOnly && patch.limits !== undefined) {
        issues.push(
          ...limitWideningIssues(
            effectiveLimits(record.limits, deps.defaults),
            effectiveLimits(patch.limits, deps.defaults),
          ),
        )
      }
      const unknown = deps.registry.unknownGranted(patch.scopes ?? [])
      if (unknown.length > 0) {
        issues.push({
          path: ['scopes'],
          message: `not in the scope registry: ${unknown.map((s) => JSON.stringify(s)).join(', ')}`,
        })
      }
      if (issues.length > 0) throw new AuthError('VALIDATION_ERROR', { issues })
      const audit = deps.audit.record('updated', record, now, context, auditChanges(patch))
      const result = await store.update(
        record.id,
        owner.key,
        patch,
        {
          scopes: record.scopes,
          expiresAt: record.expiresAt,
          // Narrow-only limits were checked against these: the store applies the patch only
          // if they still hold, so a concurrent downgrade is never undone (a conflict re-reads
          // and checks the patch against the new limits).
          ...(narrowOnly && patch.limits !== undefined ? { limits: record.limits ?? null } : {}),
        },
        deps.audit.forStore([audit]),
      )
      if (result === null) throw keyNotFound()
      await deps.audit.after([audit], result.ok)
      if (result.ok) return recordToInfo(result.record, now)
      // Someone changed the scopes, expiry or (narrow-only) limits since the read: check the
      // patch against theirs.
    }
    throw new AuthError('KEY_STATE_CONFLICT', {
      message: 'The key is being updated concurrently; try again',
      reason: 'update_contention',
    })
  }
}
