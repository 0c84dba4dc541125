/**
 * GitHub's secret scanning partner endpoint as one framework-neutral handler: a signed report of
 * keys found in public places in, each key revoked (or disabled, or only reported) and labelled,
 * the partner-program answer out.
 * @module
 */
import { createHash } from 'node:crypto'
import type { ApiKeyAuth } from '../../service/api-key-auth.js'
import { AuthError } from '../../errors.js'
import { singleHeaderValue } from '../../lib/header-value.js'
import type { AuthRequest, AuthResponse } from '../types.js'
import { createKeyResolver } from './key-set.js'
import { createLeakAction } from './leak-action.js'
import { readMatches } from './matches.js'
import { resolveSecretScanningOptions, type SecretScanningOptions } from './options.js'
import { checkSignature } from './signature.js'

/** Serves a request if it is the secret-scanning path; `null` means "not ours". */
export type SecretScanningHandler = (request: AuthRequest) => Promise<AuthResponse | null>

/** One entry of the answer, as the partner program defines it. */
export interface SecretScanningLabel {
  /** Hex SHA-256 of the reported token (GitHub sent the token; this names it back). */
  token_hash: string
  /** The reported `type`. */
  token_type: string
  /** `true_positive`: a key of this service (revoked now or before); else `false_positive`. */
  label: 'true_positive' | 'false_positive'
}

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
}

/**
 * Builds the handler for `POST <path>` (default `/api/v1/secret-scanning/github`). The signature
 * is checked over the raw body before anything else is read from it; 401 `SIGNATURE_INVALID`
 * changes nothing. Every outcome is a response; it never throws.
 * @throws `CONFIGURATION_ERROR` at set-up for bad options, or `action: 'disable'` with a
 *   service that cannot disable keys.
 *
 * @example
 * ```ts
 * const handle = createSecretScanningHandler(auth, { onLeak: (leak) => notifyOwner(leak) })
 * const response = await handle({ method: 'POST', path, headers, rawHeaders, readBody })
 * ```
 */
export function createSecretScanningHandler(
  auth: ApiKeyAuth,
  options: SecretScanningOptions = {},
): SecretScanningHandler {
  const settings = resolveSecretScanningOptions(options)
  const logger = auth.options.logger
  // Disabling needs the store's optional `setDisabled`: refused here, not on GitHub's first report.
  if (settings.action === 'disable' && typeof auth.options.store.setDisabled !== 'function') {
    throw new AuthError('CONFIGURATION_ERROR', {
      message:
        "Invalid secret scanning options: action: 'disable' needs a store that can disable keys (setDisabled); use 'revoke' or 'notify'",
      issues: [{ path: ['action'], message: 'the store cannot disable keys' }],
    })
  }
  const resolveKey = createKeyResolver({
    url: settings.publicKeys === undefined ? settings.keySetUrl : undefined,
    keys: settings.publicKeys,
    ttlMs: settings.keySetTtlMs,
    timeoutMs: settings.keySetTimeoutMs,
    minRefetchMs: settings.keySetMinRefetchMs,
    fetch: settings.fetch,
    now: () => Date.now(),
    logger,
  })

  const handle = createLeakAction(auth, settings)

  return async (request) => {
    if (!matchesPath(request.path, settings.path)) return null
    if (request.method === 'OPTIONS') return null
    try {
      if (request.method !== 'POST') throw new AuthError('METHOD_NOT_ALLOWED', { allow: 'POST' })
      const body = await readRawBody(request, settings.maxBodyBytes, logger)
      await checkSignature(request, body, resolveKey)
      const matches = readMatches(body, settings.maxMatches)
      const labels: SecretScanningLabel[] = []
      for (const match of matches) {
        const ours = await handle(match)
        labels.push({
          token_hash: createHash('sha256').update(match.token, 'utf8').digest('hex'),
          token_type: match.type,
          label: ours ? 'true_positive' : 'false_positive',
        })
      }
      return { status: 200, headers: { ...JSON_HEADERS }, body: labels }
    } catch (error) {
      return auth.errorResponse(error)
    }
  }
}

async function readRawBody(
  request: AuthRequest,
  limit: number,
  logger: ApiKeyAuth['options']['logger'],
): Promise<Uint8Array> {
  const type = singleHeaderValue(request.headers['content-type'])
  if (type === undefined || !/^application\/json\s*(?:;|$)/i.test(type.trim())) {
    throw new AuthError('UNSUPPORTED_MEDIA_TYPE')
  }
  let raw: Uint8Array | string | null
  if (typeof request.body === 'string' || request.body instanceof Uint8Array) raw = request.body
  else if (request.body !== undefined) {
    // A parsed body has lost the bytes the signature covers: nothing can be verified.
    logger.error(
      'secret scanning: the body was already parsed; mount the handler before any JSON body parser',
    )
    throw new AuthError('CONFIGURATION_ERROR', {
      message: 'The secret-scanning handler needs the raw body',
    })
  } else raw = request.readBody === undefined ? null : await request.readBody(limit)
  if (raw === null) throw new AuthError('PAYLOAD_TOO_LARGE')
  const bytes = typeof raw === 'string' ? new Uint8Array(Buffer.from(raw, 'utf8')) : raw
  if (bytes.length > limit) throw new AuthError('PAYLOAD_TOO_LARGE')
  return bytes
}

function matchesPath(path: string, expected: string): boolean {
  return path === expected || path === `${expected}/`
}
