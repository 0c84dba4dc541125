/**
 * `listKeyPage`: one page of an owner's keys, in a stable order (`createdAt`, then `id`), with a
 * status filter and an opaque cursor. Paged by the store when it can (`listPage`), else over its
 * whole list here. Internal: not exported from the package.
 * @module
 */
import { z } from 'zod'
import { AuthError } from '../errors.js'
import { recordToInfo } from '../key-record.js'
import type { KeyPageQuery, KeyStatusFilter } from '../key-store.js'
import { isUuid } from '../lib/uuid.js'
import { pageOf } from '../store-rules.js'
import type { ApiKeyInfo, KeyOwnerType } from '../types.js'
import type { ServiceClock } from './clock.js'
import type { GuardedStore } from './guarded-store.js'
import { toIssues } from './key-manager.js'
import { requireOwner, type KeyOwnerInput } from './key-owner.js'

/** Input of `listKeyPage`. */
export interface ListKeyPageInput extends KeyOwnerInput {
  /** Keys per page, 1–200. @defaultValue `50` */
  limit?: number
  /** The `nextCursor` of the previous page; omitted for the first. */
  cursor?: string
  /** Which keys: `active`, `disabled`, `revoked`, `expired` or `all`. @defaultValue `'all'` */
  status?: KeyStatusFilter
}

/** One page of keys. */
export interface ApiKeyPage {
  keys: ApiKeyInfo[]
  /** Pass it as `cursor` for the next page; `null` on the last page. */
  nextCursor: string | null
}

/** Default and largest page sizes. */
export const PAGE_LIMITS = Object.freeze({ default: 50, max: 200 })

const schema = z.object({
  limit: z.number().int().min(1).max(PAGE_LIMITS.max).optional(),
  cursor: z.string().max(200).optional(),
  status: z.enum(['active', 'disabled', 'revoked', 'expired', 'all']).optional(),
})

/** The cursor of the position after `key`: its `createdAt` and id, base64url. */
export function encodeCursor(position: { createdAt: Date; id: string }): string {
  return Buffer.from(`${position.createdAt.getTime()}.${position.id}`).toString('base64url')
}

/** The position a cursor names, or `null` when it is not one this library made. */
export function decodeCursor(cursor: string): { createdAt: Date; id: string } | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const match = /^(\d{1,15})\.([0-9a-fA-F-]{36})$/.exec(text)
  if (match === null || !isUuid(match[2])) return null
  return { createdAt: new Date(Number(match[1])), id: match[2] }
}

/** What {@link createKeyLister} needs. */
export interface KeyListerDeps {
  prefix: string
  environment: string
  ownerTypes: readonly KeyOwnerType[]
  clock: ServiceClock
  store: GuardedStore
}

/** Builds `listKeyPage`. */
export function createKeyLister(
  deps: KeyListerDeps,
): (input: ListKeyPageInput) => Promise<ApiKeyPage> {
  const { store, clock } = deps
  return async (input) => {
    const parsed = schema.safeParse({
      limit: input?.limit,
      cursor: input?.cursor,
      status: input?.status,
    })
    if (!parsed.success) {
      throw new AuthError('VALIDATION_ERROR', { issues: toIssues(parsed.error.issues) })
    }
    const owner = requireOwner(input, deps.ownerTypes)
    const after = parsed.data.cursor === undefined ? null : decodeCursor(parsed.data.cursor)
    if (parsed.data.cursor !== undefined && after === null) {
      throw new AuthError('VALIDATION_ERROR', {
        issues: [
          { path: ['cursor'], message: 'not a cursor of this list (use nextCursor as given)' },
        ],
      })
    }
    const limit = parsed.data.limit ?? PAGE_LIMITS.default
    const now = clock()
    // One more than shown, to know whether there is a next page.
    const query: KeyPageQuery = {
      limit: limit + 1,
      after,
      status: parsed.data.status ?? 'all',
      keyPrefix: `${deps.prefix}_${deps.environment}_`,
      at: new Date(now),
    }
    const records = store.capabilities.page
      ? await store.listPage(owner.key, query)
      : pageOf(await store.list(owner.key), query)
    const shown = records.slice(0, limit)
    const last = shown.at(-1)
    return {
      keys: shown.map((r) => recordToInfo(r, now)),
      nextCursor: records.length > limit && last !== undefined ? encodeCursor(last) : null,
    }
  }
}
