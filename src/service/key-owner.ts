/**
 * Who an operation acts for: a user (`userId`, as in 0.1) or, when enabled, an organisation or a
 * service (`ownerType` + `ownerId`), as the `userId` key stores hold. Internal.
 * @module
 */
import { isValidUserId, SECRET_LENGTH } from '../api-key.js'
import { AuthError, type ValidationIssue } from '../errors.js'
import { ownerKey } from '../key-record.js'
import type { KeyOwnerType } from '../types.js'

/** The owner fields every key operation takes. */
export interface KeyOwnerInput {
  /** The owning user (a user key). Ignored when `ownerType` is `'org'` or `'svc'`. */
  userId?: string
  /** Kind of owner; must be enabled by the `ownerTypes` option. @defaultValue `'user'` */
  ownerType?: KeyOwnerType
  /** The organisation's or service's id (`[A-Za-z0-9_-]{1,64}`), with `ownerType`. */
  ownerId?: string
}

/** An owner, resolved. */
export interface ResolvedOwner {
  ownerType: KeyOwnerType
  /** The id the key embeds. */
  ownerId: string
  /** The `userId` records of this owner hold (`org:<id>` for an organisation). */
  key: string
}

/**
 * The owner an input names, or `null` when it names none this instance allows (an operation on
 * a key answers the same 404 as for an unknown key; creation answers `VALIDATION_ERROR`).
 */
export function resolveOwner(
  input: KeyOwnerInput | undefined,
  allowed: readonly KeyOwnerType[],
): ResolvedOwner | null {
  const ownerType = input?.ownerType ?? 'user'
  const ownerId = ownerType === 'user' ? (input?.userId ?? input?.ownerId) : input?.ownerId
  if (!allowed.includes(ownerType) || !isValidUserId(ownerId)) return null
  return { ownerType, ownerId, key: ownerKey(ownerType, ownerId) }
}

/** {@link resolveOwner}, or `VALIDATION_ERROR` naming the field. */
export function requireOwner(
  input: KeyOwnerInput | undefined,
  allowed: readonly KeyOwnerType[],
): ResolvedOwner {
  const owner = resolveOwner(input, allowed)
  if (owner !== null) return owner
  const ownerType = input?.ownerType ?? 'user'
  const issue: ValidationIssue = !allowed.includes(ownerType)
    ? { path: ['ownerType'], message: `must be one of: ${allowed.join(', ')}` }
    : {
        path: [ownerType === 'user' ? 'userId' : 'ownerId'],
        message: 'must match [A-Za-z0-9_-]{1,64}',
      }
  throw new AuthError('VALIDATION_ERROR', { issues: [issue] })
}

/** The 404 of a key that does not exist, belongs to someone else or to another environment. */
export const keyNotFound = (): AuthError =>
  new AuthError('KEY_NOT_FOUND', { message: 'API key not found' })

/** The user id a well-formed key names (between the head and the secret). */
export function embeddedUserId(key: string, keyHead: string): string {
  return key.slice(keyHead.length, key.length - SECRET_LENGTH - 1)
}

/**
 * The stored owner (`userId` of the record) a well-formed key names: the embedded id for a user
 * key, `org:<id>` / `svc:<id>` for the others (see `ownerKey`).
 */
export function embeddedOwnerKey(
  key: string,
  keyHead: string,
  otherHeads: readonly string[],
): string {
  if (key.startsWith(keyHead)) return embeddedUserId(key, keyHead)
  for (const head of otherHeads) {
    if (key.startsWith(head)) {
      const kind = head.slice(head.lastIndexOf('_', head.length - 2) + 1, -1)
      return `${kind}:${embeddedUserId(key, head)}`
    }
  }
  return embeddedUserId(key, keyHead)
}
