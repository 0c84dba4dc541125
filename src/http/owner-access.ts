/**
 * Whose keys a key-management request manages: the caller's own, or (with `?owner=org:<id>` or
 * `svc:<id>`) an organisation's or a service's, when the routes' `canManage` hook allows the
 * signed-in user. Anything else naming an owner is the same 404 as an unknown key, so a request
 * learns nothing about owners it may not manage. Internal module.
 * @module
 */
import type { KeyOwnerInput } from '../create-api-key-auth.js'
import { AuthError } from '../errors.js'
import type { Caller } from './caller.js'
import type { RoutesSettings } from './routes-options.js'
import type { AuthRequest } from './types.js'

const OWNER = /^(org|svc):([A-Za-z0-9_-]{1,64})$/

/** The owner a request acts for, with `createdBy` for keys it creates for another owner. */
export interface RequestOwner {
  owner: KeyOwnerInput
  /** The acting user when the owner is not the caller. */
  createdBy?: string
}

const notFound = (): AuthError =>
  new AuthError('KEY_NOT_FOUND', { message: 'API key not found', resource: true })

/** Resolves the owner of `request` for `caller`. @throws 404 `KEY_NOT_FOUND` when not allowed. */
export async function requestOwner(
  request: AuthRequest,
  caller: Caller,
  settings: Pick<RoutesSettings, 'canManage'>,
): Promise<RequestOwner> {
  const named = new URLSearchParams(request.query ?? '').getAll('owner')
  if (named.length === 0) return { owner: { userId: caller.userId } }
  const match = named.length === 1 ? OWNER.exec(named[0] ?? '') : null
  // An API key never manages another owner's keys; only a signed-in user, with the hook's yes.
  if (match === null || settings.canManage === undefined || caller.context.actor?.type !== 'user') {
    throw notFound()
  }
  const type = match[1] as 'org' | 'svc'
  const id = match[2] as string
  const allowed = await settings.canManage({
    session: { userId: caller.userId },
    owner: { type, id },
  })
  if (allowed !== true) throw notFound()
  return { owner: { ownerType: type, ownerId: id }, createdBy: caller.userId }
}
