/**
 * Options of the secret-scanning handler, validated once at set-up.
 * @module
 */
import { AuthError } from '../../errors.js'
import type { SecretScanningPublicKey } from './key-set.js'

/** What the handler does with a key GitHub reports. */
export type LeakAction = 'revoke' | 'disable' | 'notify'

/** What `onLeak` is told: never the key, its secret or a digest. */
export interface LeakEvent {
  /** The key's id. */
  keyId: string
  /** Its owner. */
  userId: string
  /** Its display form, e.g. `vydra_live_user_abc_X7kM...`. */
  keyPrefix: string
  /** Where it was found (GitHub's `url`), when given. */
  url: string | undefined
  /** GitHub's `source` (`content`, `commit`, `npm`, …), when given. */
  source: string | undefined
  /** GitHub's `type`: the token type name agreed at onboarding. */
  tokenType: string
  /** What was done: `revoke`, `disable`, or `notify` (nothing but this call). */
  action: LeakAction
}

/** Options of {@link createSecretScanningHandler}. */
export interface SecretScanningOptions {
  /** Path served. @defaultValue `'/api/v1/secret-scanning/github'` */
  path?: string
  /** What to do with a reported key. `disable` needs a service that can disable keys. @defaultValue `'revoke'` */
  action?: LeakAction
  /** URL of the key set. @defaultValue `'https://api.github.com/meta/public_keys/secret_scanning'` */
  keySetUrl?: string
  /** Static keys instead of `keySetUrl` (tests, air-gapped set-ups). */
  publicKeys?: readonly SecretScanningPublicKey[]
  /** How long a fetched key set is trusted, 1 s – 24 h. @defaultValue `3_600_000` */
  keySetTtlMs?: number
  /** Deadline of a key set fetch. @defaultValue `5_000` */
  keySetTimeoutMs?: number
  /** Least time between two fetches caused by unknown key ids. @defaultValue `60_000` */
  keySetMinRefetchMs?: number
  /** The fetch function. @defaultValue `globalThis.fetch` */
  fetch?: typeof globalThis.fetch
  /** Largest body, in bytes. @defaultValue `1_048_576` */
  maxBodyBytes?: number
  /** Most matches in one report; more is 413 `PAYLOAD_TOO_LARGE`. @defaultValue `1_000` */
  maxMatches?: number
  /** Called once per key newly revoked, disabled or reported; errors are logged, never answered. */
  onLeak?: (event: LeakEvent) => void | Promise<void>
}

/** The options with defaults in. @internal */
export type ResolvedSecretScanningOptions = Required<
  Omit<SecretScanningOptions, 'publicKeys' | 'onLeak'>
> &
  Pick<SecretScanningOptions, 'publicKeys' | 'onLeak'>

const DEFAULT_KEY_SET_URL = 'https://api.github.com/meta/public_keys/secret_scanning'

/** Validates and fills in the options. @throws `CONFIGURATION_ERROR` naming the bad option. */
export function resolveSecretScanningOptions(input: unknown): ResolvedSecretScanningOptions {
  if (input !== undefined && (typeof input !== 'object' || input === null)) {
    throw bad('options', 'must be an object')
  }
  const o = (input ?? {}) as SecretScanningOptions
  const path = o.path ?? '/api/v1/secret-scanning/github'
  if (typeof path !== 'string' || !/^\/[A-Za-z0-9._~\-/]{0,200}$/.test(path)) {
    throw bad('path', 'must be a path starting with /')
  }
  const action = o.action ?? 'revoke'
  if (!['revoke', 'disable', 'notify'].includes(action)) {
    throw bad('action', "must be 'revoke', 'disable' or 'notify'")
  }
  const keySetUrl = o.keySetUrl ?? DEFAULT_KEY_SET_URL
  if (typeof keySetUrl !== 'string' || !URL.canParse(keySetUrl))
    throw bad('keySetUrl', 'must be a URL')
  if (o.publicKeys !== undefined && !Array.isArray(o.publicKeys)) {
    throw bad('publicKeys', 'must be an array of { key_identifier, key }')
  }
  const fetchFn = o.fetch ?? globalThis.fetch
  if (typeof fetchFn !== 'function') throw bad('fetch', 'must be a function')
  if (o.onLeak !== undefined && typeof o.onLeak !== 'function')
    throw bad('onLeak', 'must be a function')
  return {
    path: path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path,
    action,
    keySetUrl,
    publicKeys: o.publicKeys,
    keySetTtlMs: int('keySetTtlMs', o.keySetTtlMs, 3_600_000, 1_000, 86_400_000),
    keySetTimeoutMs: int('keySetTimeoutMs', o.keySetTimeoutMs, 5_000, 1, 60_000),
    keySetMinRefetchMs: int('keySetMinRefetchMs', o.keySetMinRefetchMs, 60_000, 0, 86_400_000),
    fetch: fetchFn,
    maxBodyBytes: int('maxBodyBytes', o.maxBodyBytes, 1_048_576, 1_024, 16_777_216),
    maxMatches: int('maxMatches', o.maxMatches, 1_000, 1, 10_000),
    onLeak: o.onLeak,
  }
}

function int(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw bad(name, `must be an integer from ${min} to ${max}`)
  }
  return value
}

function bad(name: string, message: string): AuthError {
  return new AuthError('CONFIGURATION_ERROR', {
    message: `Invalid secret scanning options: ${name}: ${message}`,
    issues: [{ path: [name], message }],
  })
}
