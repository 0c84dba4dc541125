/**
 * What the secret-scanning handler does with one reported match: revoke, disable or only report
 * the key, and tell `onLeak` once per key (idempotent on GitHub's retries).
 * @module
 */
import type { ApiKeyAuth } from '../../service/api-key-auth.js'
import { describeError } from '../../lib/describe-error.js'
import type { KeyRefInput } from '../../service/key-lifecycle.js'
import type { ApiKeyInfo } from '../../types.js'
import type { SecretMatch } from './matches.js'
import type { LeakAction, ResolvedSecretScanningOptions } from './options.js'

/** Builds the action; it resolves whether the match is one of this service's keys. */
export function createLeakAction(
  auth: ApiKeyAuth,
  settings: ResolvedSecretScanningOptions,
): (match: SecretMatch) => Promise<boolean> {
  const logger = auth.options.logger
  const report = (info: ApiKeyInfo, match: SecretMatch, action: LeakAction): void => {
    logger.warn('leaked API key reported by secret scanning', {
      keyId: info.id,
      userId: info.userId,
      action,
      url: match.url,
    })
    if (settings.onLeak === undefined) return
    const event = {
      keyId: info.id,
      userId: info.userId,
      keyPrefix: info.keyPrefix,
      url: match.url,
      source: match.source,
      tokenType: match.type,
      action,
    }
    Promise.resolve()
      .then(() => settings.onLeak?.(event))
      .catch((error: unknown) =>
        logger.error('onLeak failed', { keyId: info.id, error: describeError(error) }),
      )
  }

  // One match: whether it is one of our keys; acts on it at most once (idempotent on retries).
  const handle = async (match: SecretMatch): Promise<boolean> => {
    if (settings.action === 'notify') {
      const info = await auth.lookupKey(match.token)
      if (info !== null && notified.add(info.id)) report(info, match, 'notify')
      return info !== null
    }
    if (settings.action === 'disable') {
      const info = await auth.lookupKey(match.token)
      if (info === null) return false
      if (info.revokedAt === null && info.disabledAt === null) {
        await auth.disableKey(ownerRef(info), {
          actor: { type: 'system', id: 'github' },
          reason: 'leaked',
        })
        if (notified.add(info.id)) report(info, match, 'disable')
      }
      return true
    }
    const result = await auth.revokeByKey(match.token, {
      reason: 'leaked',
      source: match.url,
      reportedBy: 'github',
    })
    if (result.status === 'revoked' && result.key !== null) report(result.key, match, 'revoke')
    return result.key !== null
  }
  const notified = createOnceSet(10_000)
  return handle
}

// Remembers up to `max` ids; `add` says whether the id is new. Forgets everything when full:
// at worst an owner is told twice.
function createOnceSet(max: number): { add(id: string): boolean } {
  const seen = new Set<string>()
  return {
    add: (id) => {
      if (seen.has(id)) return false
      if (seen.size >= max) seen.clear()
      seen.add(id)
      return true
    },
  }
}

// The reference `disableKey` takes: a user key by its user, another owner kind by its id.
function ownerRef(info: ApiKeyInfo): KeyRefInput {
  if (info.ownerType === 'user') return { userId: info.userId, keyId: info.id }
  return {
    ownerType: info.ownerType,
    ownerId: info.userId.slice(info.ownerType.length + 1),
    keyId: info.id,
  }
}
