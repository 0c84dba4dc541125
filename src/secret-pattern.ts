/**
 * The regular expression of this instance's keys, for secret scanners (GitHub, GitLab, gitleaks,
 * trufflehog, your own). A regular expression cannot check the CRC-32: a scanner's match is a
 * candidate, and `auth.revokeByKey` (or the secret-scanning handler) rejects a bad checksum
 * offline before any lookup.
 * @module
 */
import {
  CHECKSUM_LENGTH,
  isValidEnvironment,
  isValidKeyPrefix,
  SECRET_RANDOM_LENGTH,
} from './api-key.js'
import { AuthError } from './errors.js'
import { DEFAULTS } from './options/defaults.js'

/** Options of {@link secretPattern} and {@link secretPatternParts}. */
export interface SecretPatternOptions {
  /** The keys' prefix. @defaultValue `'vydra'` */
  prefix?: string
  /** The environment to match; `auth.options` has it, so `secretPattern(auth.options)` works. @defaultValue `'live'` */
  environment?: string
  /** Several environments to match, e.g. `['live', 'test']`; takes precedence over `environment`. */
  environments?: readonly string[]
  /**
   * Owner kinds between the environment and the owner id (`user` in `vydra_live_user_…`).
   * @defaultValue `ownerTypes`, else `['user']`
   */
  ownerKinds?: readonly string[]
  /**
   * The owner kinds an instance issues (`auth.options.ownerTypes`), used when `ownerKinds` is
   * not given, so that `secretPattern(auth.options)` covers `org_` and `svc_` keys too.
   */
  ownerTypes?: readonly string[]
}

/**
 * A pattern split the way scanners with separate "before" and "after" fields want it (GitHub
 * custom patterns); every part uses only syntax that JavaScript, Go's RE2 (gitleaks, trufflehog,
 * GitLab) and Hyperscan (GitHub) read alike: no lookaround, no backreferences.
 */
export interface SecretPatternParts {
  /** The key itself. */
  secret: string
  /** What must come before it: start of text or a character no key contains. */
  before: string
  /** What must come after it: end of text or a character no key contains. */
  after: string
}

const OWNER_KIND_PATTERN = /^[a-z][a-z0-9]{0,15}$/
// Characters a key is made of; a match must not be flanked by one of them.
const KEY_CHARS = 'A-Za-z0-9_-'

/**
 * The key pattern in parts, without lookaround, for scanner configurations.
 * @throws {@link AuthError} `CONFIGURATION_ERROR` for a prefix, environment or owner kind that
 *   keys cannot have.
 *
 * @example
 * ```ts
 * const { secret } = secretPatternParts({ environments: ['live', 'test'] })
 * // 'vydra_(?:live|test)_(?:user)_[A-Za-z0-9_-]{1,64}_[A-Za-z0-9]{38}'
 * ```
 */
export function secretPatternParts(options: SecretPatternOptions = {}): SecretPatternParts {
  const prefix = options?.prefix ?? DEFAULTS.prefix
  const environments = options?.environments ?? [options?.environment ?? DEFAULTS.environment]
  const ownerKinds = options?.ownerKinds ?? options?.ownerTypes ?? ['user']
  if (!isValidKeyPrefix(prefix)) throw configuration('prefix', 'not a valid key prefix')
  checkList('environments', environments, isValidEnvironment)
  checkList(
    'ownerKinds',
    ownerKinds,
    (kind) => typeof kind === 'string' && OWNER_KIND_PATTERN.test(kind),
  )
  const secret =
    `${prefix}_(?:${[...new Set(environments)].join('|')})_(?:${[...new Set(ownerKinds)].join('|')})_` +
    `[${KEY_CHARS}]{1,64}_[A-Za-z0-9]{${SECRET_RANDOM_LENGTH + CHECKSUM_LENGTH}}`
  return { secret, before: `(?:^|[^${KEY_CHARS}])`, after: `(?:$|[^${KEY_CHARS}])` }
}

/**
 * A regular expression matching every key of this grammar and nothing that only looks like one:
 * not a longer run of key characters, not another prefix, environment or owner kind, not a
 * secret of another length. The whole match is the key. Add the `g` flag yourself to find all.
 * @throws {@link AuthError} `CONFIGURATION_ERROR` as {@link secretPatternParts}.
 *
 * @example
 * ```ts
 * const pattern = secretPattern({ environments: ['live'] })
 * for (const match of text.matchAll(new RegExp(pattern, 'g'))) await auth.revokeByKey(match[0], { reason: 'leaked' })
 * ```
 */
export function secretPattern(options: SecretPatternOptions = {}): RegExp {
  const { secret } = secretPatternParts(options)
  return new RegExp(`(?<![${KEY_CHARS}])${secret}(?![${KEY_CHARS}])`)
}

function checkList(
  name: string,
  values: unknown,
  valid: (value: unknown) => boolean,
): asserts values is readonly string[] {
  if (!Array.isArray(values) || values.length === 0 || values.length > 32) {
    throw configuration(name, 'must be a non-empty array of at most 32 names')
  }
  if (!values.every(valid)) throw configuration(name, 'holds a name keys cannot have')
}

function configuration(name: string, message: string): AuthError {
  return new AuthError('CONFIGURATION_ERROR', {
    message: `Invalid secretPattern options: ${name}: ${message}`,
    issues: [{ path: [name], message }],
  })
}
