/**
 * Set-up checks of the adapters' arguments: a wrong argument fails when the app is built, with a
 * message saying what was expected. Internal: not exported from the package.
 * @module
 */
import type { ApiKeyAuth } from '../create-api-key-auth.js'
import { AuthError } from '../errors.js'

/**
 * What a value is, in words that never repeat it: an argument may be a secret passed by mistake.
 * Object keys are shown (names only, a few), since they usually tell which argument it was.
 */
export function describeArgument(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (value === null) return 'null'
  if (typeof value === 'string') return 'a string'
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return 'an array'
  if (typeof value !== 'object') return `a ${typeof value}`
  let keys: string[]
  try {
    keys = Object.keys(value).filter((key) => /^[A-Za-z_$][\w$]{0,40}$/.test(key))
  } catch {
    return 'an object'
  }
  if (keys.length === 0) return 'an object without properties'
  const shown = keys.slice(0, 5).join(', ')
  return `an object with ${shown}${keys.length > 5 ? ', …' : ''}`
}

/**
 * Throws `CONFIGURATION_ERROR` unless `auth` is the service from `createApiKeyAuth`; `usage`
 * shows the right call.
 */
export function assertAuthService(
  auth: unknown,
  call: string,
  usage: string,
): asserts auth is ApiKeyAuth {
  const candidate = auth as Partial<ApiKeyAuth> | null | undefined
  const ok =
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.createKey === 'function' &&
    typeof candidate.authenticate === 'function' &&
    typeof candidate.checkRouteScopes === 'function' &&
    typeof candidate.errorResponse === 'function'
  if (!ok) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: `${call}: expected the service returned by createApiKeyAuth() as auth (${usage}), got ${describeArgument(auth)}`,
    })
  }
}

/** Throws `CONFIGURATION_ERROR` unless `options` is `undefined` or a plain object. */
export function assertOptionsObject(
  options: unknown,
  call: string,
  example: string,
): asserts options is Record<string, unknown> | undefined {
  const plain =
    options === undefined ||
    (typeof options === 'object' && options !== null && !Array.isArray(options))
  if (!plain) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: `${call}: expected an options object such as ${example}, got ${describeArgument(options)}`,
    })
  }
}
