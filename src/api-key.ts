/**
 * The key format: `<prefix>_<environment>_user_<userId>_<secret>`, where the secret is 32 random
 * base62 characters followed by a 6-character base62 CRC-32 of everything before it.
 * @module
 */
import { AuthError } from './errors.js'
import { encodeBase62Fixed, isBase62Code, randomBase62, type RandomBytes } from './lib/base62.js'

export type { RandomBytes }
import { crc32Ascii, CRC32_INITIAL, crc32Final, crc32Step } from './lib/crc32.js'
import { ownerKey } from './key-record.js'
import { DEFAULTS } from './options/defaults.js'
import type { KeyOwnerType } from './types.js'

/** Random base62 characters in a secret: 32 × log2(62) ≈ 190 bits. */
export const SECRET_RANDOM_LENGTH = 32
/** Base62 characters of the CRC-32 checksum that ends every secret. */
export const CHECKSUM_LENGTH = 6
/** Total length of the secret part (random + checksum). */
export const SECRET_LENGTH = SECRET_RANDOM_LENGTH + CHECKSUM_LENGTH
/** Longest token considered at all; anything longer is `INVALID_FORMAT` before any other work. */
export const MAX_TOKEN_LENGTH = 512
/** Longest user id a key may embed. */
export const MAX_USER_ID_LENGTH = 64
/** Characters of the secret that {@link formatKeyPrefix} reveals. */
export const KEY_PREFIX_SECRET_CHARS = 4

const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,31}$/
const ENVIRONMENT_PATTERN = /^[a-z][a-z0-9]{0,31}$/
const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

/** Which keys an operation deals with. */
export interface ApiKeyFormatOptions {
  /** First part of every key. @defaultValue `'vydra'` */
  prefix?: string
  /** Second part of every key, e.g. `live` or `test`. @defaultValue `'live'` */
  environment?: string
}

/** Options of {@link generateApiKey}. */
export interface GenerateApiKeyOptions extends ApiKeyFormatOptions {
  /** The owner, embedded for readability only (the store, not the key, says whose key it is). */
  userId: string
  /** Source of random bytes; defaults to the operating system's CSPRNG. */
  randomBytes?: RandomBytes
  /**
   * Kind of owner the key names (`vydra_live_org_<id>_…`); covered by the checksum like every
   * character before it. @defaultValue `'user'`
   */
  ownerType?: KeyOwnerType
}

/** The parts of a well-formed key. */
export interface ParsedApiKey {
  /** First part of the key (`vydra`). */
  prefix: string
  /** Second part of the key (`live`, `test`). */
  environment: string
  /**
   * The owner as records and principals name it: the embedded id for a user key (`u123`), and
   * `org:<id>` / `svc:<id>` for an organisation or service key, the same string as the stored
   * record's `userId` and the verified principal's `userId`. Compare {@link ParsedApiKey.ownerId}.
   */
  userId: string
  /** The owner kind the key names (`vydra_live_org_…` is `'org'`); covered by the checksum. */
  ownerType: KeyOwnerType
  /** The id embedded in the key, without its kind (`acme` for `vydra_live_org_acme_…`). */
  ownerId: string
  /** The secret part, including its checksum. Never log or store it. */
  secret: string
}

/** True when `value` is a valid key prefix: lower-case letter, then up to 31 letters or digits. */
export function isValidKeyPrefix(value: unknown): value is string {
  return typeof value === 'string' && PREFIX_PATTERN.test(value)
}

/** True when `value` is a valid environment name (same grammar as a prefix). */
export function isValidEnvironment(value: unknown): value is string {
  return typeof value === 'string' && ENVIRONMENT_PATTERN.test(value)
}

/** True when `value` is a user id a key can embed: `[A-Za-z0-9_-]{1,64}`. */
export function isValidUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID_PATTERN.test(value)
}

// WebCrypto's CSPRNG: the same source as node:crypto's on Node, and present on every runtime.
const defaultRandomBytes: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length))

/**
 * Creates a new key for `userId`.
 *
 * @example
 * ```ts
 * generateApiKey('abc') // 'vydra_live_user_abc_X7kM9pQ…'
 * generateApiKey({ userId: 'abc', environment: 'test' })
 * ```
 */
export function generateApiKey(
  user: string | GenerateApiKeyOptions,
  options: Omit<GenerateApiKeyOptions, 'userId'> = {},
): string {
  // Anything but an options object is taken as the user id, which validation then judges.
  const opts: GenerateApiKeyOptions =
    typeof user === 'object' && user !== null ? user : { ...options, userId: user }
  const prefix = opts.prefix ?? DEFAULTS.prefix
  const environment = opts.environment ?? DEFAULTS.environment
  if (!isValidKeyPrefix(prefix))
    throw new AuthError('CONFIGURATION_ERROR', { message: 'Invalid key prefix' })
  if (!isValidEnvironment(environment)) {
    throw new AuthError('CONFIGURATION_ERROR', { message: 'Invalid key environment' })
  }
  if (!isValidUserId(opts.userId)) {
    throw new AuthError('VALIDATION_ERROR', {
      message: 'Invalid user id',
      issues: [{ path: ['userId'], message: 'must match [A-Za-z0-9_-]{1,64}' }],
    })
  }
  const ownerType = opts.ownerType ?? 'user'
  if (ownerType !== 'user' && ownerType !== 'org' && ownerType !== 'svc') {
    throw new AuthError('VALIDATION_ERROR', {
      message: 'Invalid owner type',
      issues: [{ path: ['ownerType'], message: "must be 'user', 'org' or 'svc'" }],
    })
  }
  const body = `${keyHead(prefix, environment, ownerType)}${opts.userId}_${randomBase62(SECRET_RANDOM_LENGTH, opts.randomBytes ?? defaultRandomBytes)}`
  return body + encodeBase62Fixed(crc32Ascii(body), CHECKSUM_LENGTH)
}

/**
 * The fixed start of every key of a prefix, environment and owner kind, e.g. `vydra_live_user_`.
 */
export function keyHead(
  prefix: string,
  environment: string,
  ownerType: KeyOwnerType = 'user',
): string {
  return `${prefix}_${environment}_${ownerType}_`
}

// Char classes of the key grammar: 1 = base62, 2 = also allowed in a user id (`_`, `-`).
const BASE62 = 1
const USER_ID_EXTRA = 2
const CHAR_CLASS = (() => {
  const table = new Uint8Array(128)
  for (let c = 0; c < 128; c++) if (isBase62Code(c)) table[c] = BASE62
  table[95] = USER_ID_EXTRA
  table[45] = USER_ID_EXTRA
  return table
})()

// The CRC state after the fixed head is the same for every key: remember the last one.
let lastHead = ''
let lastHeadState = CRC32_INITIAL

function headState(head: string): number {
  if (head !== lastHead) {
    let state = CRC32_INITIAL
    for (let i = 0; i < head.length; i++) state = crc32Step(state, head.charCodeAt(i))
    lastHeadState = state
    lastHead = head
  }
  return lastHeadState
}

/**
 * Checks the whole grammar and the checksum without allocating: `head` is {@link keyHead}.
 * One pass over the characters after the head checks each one and feeds the checksum.
 * Internal fast path shared by {@link parseApiKey} and verification.
 * @internal
 */
export function isWellFormedKey(key: string, head: string): boolean {
  const length = key.length
  const headLength = head.length
  if (length > MAX_TOKEN_LENGTH || length < headLength + 2 + SECRET_LENGTH) return false
  if (!key.startsWith(head)) return false
  const separator = length - SECRET_LENGTH - 1
  if (separator - headLength > MAX_USER_ID_LENGTH || key.charCodeAt(separator) !== 95) return false
  let crc = headState(head)
  for (let i = headLength; i < separator; i++) {
    const c = key.charCodeAt(i)
    if (c > 127 || CHAR_CLASS[c] === 0) return false
    crc = crc32Step(crc, c)
  }
  crc = crc32Step(crc, 95)
  const checksumStart = length - CHECKSUM_LENGTH
  for (let i = separator + 1; i < checksumStart; i++) {
    const c = key.charCodeAt(i)
    if (c > 127 || CHAR_CLASS[c] !== BASE62) return false
    crc = crc32Step(crc, c)
  }
  // Checksum digits compared from the right; a digit that is not base62 never matches.
  let sum = crc32Final(crc)
  for (let i = length - 1; i >= checksumStart; i--) {
    if (key.charCodeAt(i) !== base62CodeOf(sum % 62)) return false
    sum = Math.floor(sum / 62)
  }
  return true
}

function base62CodeOf(digit: number): number {
  return digit < 10 ? 48 + digit : digit < 36 ? 55 + digit : 61 + digit
}

const OWNER_TYPES: readonly KeyOwnerType[] = ['user', 'org', 'svc']

/**
 * Splits a key into its parts, checking grammar, lengths and checksum. Never does I/O. Keys of
 * every owner kind parse (`vydra_live_user_…`, `vydra_live_org_…`, `vydra_live_svc_…`): whether an
 * instance accepts org and service keys is its `ownerTypes` option, which verification checks,
 * not this function.
 *
 * @throws {@link AuthError} `INVALID_FORMAT` for anything that is not a well-formed key of this
 *   prefix and environment; it never throws anything else.
 *
 * @example
 * ```ts
 * parseApiKey('vydra_live_user_u123_X7kM9pQ…') // { prefix: 'vydra', environment: 'live', userId: 'u123', ownerType: 'user', ownerId: 'u123', secret: 'X7kM9pQ…' }
 * parseApiKey('vydra_live_org_acme_X7kM9pQ…')  // { …, userId: 'org:acme', ownerType: 'org', ownerId: 'acme', … }
 * parseApiKey(key, { environment: 'test' })    // throws INVALID_FORMAT for a live key
 * ```
 */
export function parseApiKey(key: unknown, options: ApiKeyFormatOptions = {}): ParsedApiKey {
  const prefix = options?.prefix ?? DEFAULTS.prefix
  const environment = options?.environment ?? DEFAULTS.environment
  if (typeof key === 'string') {
    for (const ownerType of OWNER_TYPES) {
      const head = keyHead(prefix, environment, ownerType)
      if (!isWellFormedKey(key, head)) continue
      const separator = key.length - SECRET_LENGTH - 1
      const ownerId = key.slice(head.length, separator)
      return {
        prefix,
        environment,
        userId: ownerKey(ownerType, ownerId),
        ownerType,
        ownerId,
        secret: key.slice(separator + 1),
      }
    }
  }
  throw new AuthError('INVALID_FORMAT')
}

/**
 * The display form of a key: everything up to the secret plus its first
 * {@link KEY_PREFIX_SECRET_CHARS} characters, then `...`.
 *
 * @example
 * ```ts
 * formatKeyPrefix('vydra_live_user_abc_X7kM9pQ…') // 'vydra_live_user_abc_X7kM...'
 * ```
 * @throws {@link AuthError} `INVALID_FORMAT` when `key` has no secret part to cut.
 */
export function formatKeyPrefix(key: string): string {
  if (typeof key !== 'string' || key.length > MAX_TOKEN_LENGTH)
    throw new AuthError('INVALID_FORMAT')
  const separator = key.lastIndexOf('_')
  if (separator < 0 || key.length - separator - 1 < KEY_PREFIX_SECRET_CHARS * 2) {
    throw new AuthError('INVALID_FORMAT')
  }
  return `${key.slice(0, separator + 1 + KEY_PREFIX_SECRET_CHARS)}...`
}
