/**
 * GitHub's secret-scanning public keys: fetched from a key set URL, cached for a bounded time,
 * fetched again for an unknown key id (at most once per interval), and fail closed: no usable
 * key set means `AUTH_UNAVAILABLE`, never "accept".
 * @module
 */
import type { webcrypto } from 'node:crypto'
import { AuthError } from '../../errors.js'
import { describeError } from '../../lib/describe-error.js'
import { pemToSpki, spkiKind } from '../../lib/spki.js'
import type { AuthLogger } from '../../options/types.js'

/** One key of the set, as GitHub publishes it. */
export interface SecretScanningPublicKey {
  /** The id GitHub sends in `Github-Public-Key-Identifier`. */
  key_identifier: string
  /** The ECDSA P-256 public key, PEM (SPKI). */
  key: string
}

/** Where the keys come from and how long they are trusted. */
export interface KeySetSettings {
  /** URL of the key set (`{ public_keys: [...] }`), or `undefined` with static `keys`. */
  url: string | undefined
  /** Static keys instead of a URL (tests, air-gapped set-ups). */
  keys: readonly SecretScanningPublicKey[] | undefined
  ttlMs: number
  timeoutMs: number
  /** Least time between two fetches triggered by unknown key ids. */
  minRefetchMs: number
  fetch: typeof globalThis.fetch
  now: () => number
  logger: AuthLogger
}

/** A WebCrypto key (the global `CryptoKey` of every runtime). */
export type VerificationKey = webcrypto.CryptoKey

/** The verification key of an id: a P-256 key, `null` when the set has no such key. */
export type KeyResolver = (id: string) => Promise<VerificationKey | null>

const MAX_KEY_SET_BYTES = 65_536

/** Builds the resolver. A static set is parsed at once (a bad one is a `CONFIGURATION_ERROR`). */
export function createKeyResolver(settings: KeySetSettings): KeyResolver {
  if (settings.keys !== undefined) {
    const keys = toKeyMap(settings.keys, settings.logger)
    return async (id) => (await keys).get(id) ?? null
  }
  let keys: Map<string, VerificationKey> | undefined
  let fetchedAt = Number.NEGATIVE_INFINITY
  let inflight: Promise<Map<string, VerificationKey>> | undefined

  const refresh = (): Promise<Map<string, VerificationKey>> => {
    inflight ??= fetchKeySet(settings)
      .then((fresh) => {
        keys = fresh
        fetchedAt = settings.now()
        return fresh
      })
      .finally(() => {
        inflight = undefined
      })
    return inflight
  }

  return async (id) => {
    const age = settings.now() - fetchedAt
    if (keys === undefined || age >= settings.ttlMs || age < 0)
      return (await refresh()).get(id) ?? null
    const known = keys.get(id)
    if (known !== undefined) return known
    // GitHub may have rotated its keys: look again, but not for every forged id.
    if (age < settings.minRefetchMs) return null
    return (await refresh()).get(id) ?? null
  }
}

async function fetchKeySet(settings: KeySetSettings): Promise<Map<string, VerificationKey>> {
  const unavailable = (cause: unknown): AuthError => {
    settings.logger.error('secret scanning key set unavailable', {
      url: settings.url,
      error: describeError(cause),
    })
    return new AuthError('AUTH_UNAVAILABLE', { cause, reason: 'key_set_unavailable' })
  }
  let text: string
  try {
    const response = await settings.fetch(settings.url as string, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(settings.timeoutMs),
    })
    if (!response.ok) throw new Error(`status ${response.status}`)
    text = await response.text()
    if (text.length > MAX_KEY_SET_BYTES) throw new Error('key set too large')
  } catch (cause) {
    throw unavailable(cause)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw unavailable(cause)
  }
  const list = (parsed as { public_keys?: unknown } | null)?.public_keys
  if (!Array.isArray(list)) throw unavailable(new Error('no public_keys array'))
  const keys = await toKeyMap(list as SecretScanningPublicKey[], settings.logger)
  if (keys.size === 0) throw unavailable(new Error('no usable P-256 key'))
  return keys
}

// Only ECDSA P-256 keys count: a key of another type or curve can verify nothing here. Keys are
// read with WebCrypto (SPKI PEM, as GitHub publishes them), the same on every runtime; which
// kind of key a PEM holds is read from its algorithm identifier first, so that a key of another
// kind is told apart from an unreadable one.
async function toKeyMap(
  list: readonly SecretScanningPublicKey[],
  logger: AuthLogger,
): Promise<Map<string, VerificationKey>> {
  const keys = new Map<string, VerificationKey>()
  const unreadable = (): void =>
    logger.warn('secret scanning key set: an unreadable key is ignored')
  for (const entry of list) {
    const id = entry?.key_identifier
    if (typeof id !== 'string' || typeof entry.key !== 'string') continue
    const der = pemToSpki(entry.key)
    const kind = der === undefined ? undefined : spkiKind(der)
    if (der === undefined || kind === undefined) {
      unreadable()
      continue
    }
    if (kind.type !== 'ec' || kind.curve !== 'P-256') {
      logger.warn('secret scanning key set: a key that is not ECDSA P-256 is ignored')
      continue
    }
    try {
      const algorithm = { name: 'ECDSA', namedCurve: 'P-256' }
      keys.set(id, await crypto.subtle.importKey('spki', der, algorithm, false, ['verify']))
    } catch {
      // Not a point of the curve, or otherwise not a key.
      unreadable()
    }
  }
  return keys
}
