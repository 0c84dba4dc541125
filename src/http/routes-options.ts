/**
 * The options of the key-management routes: where they are mounted, who may create keys
 * (`session`), and which origins may send cookie-authenticated writes. Validated once, when the
 * routes are built. Internal module; the types are public.
 * @module
 */
import { z } from 'zod'
import type { ApiKeyAuth } from '../create-api-key-auth.js'
import { AuthError } from '../errors.js'
import { explainIssues } from '../lib/explain-issues.js'
import { isOrigin } from '../lib/origin.js'
import { DEFAULTS } from '../options/defaults.js'
import type { AuthLogger } from '../options/types.js'
import { assertAuthService, assertOptionsObject, describeArgument } from './check-arguments.js'
import {
  copySession,
  sessionOptionsOf,
  sessionSchema,
  type SessionOptions,
} from '../options/session.js'

/** Options of `createApiKeyRoutes` and of each adapter's `apiKeyRoutes`. */
export interface ApiKeyRoutesOptions {
  /** Path of the collection; a key is at `<basePath>/<id>`. @defaultValue `'/api/v1/api-keys'` */
  basePath?: string
  /**
   * Who may create keys (and list and revoke them without an API key): a JWT in a cookie, or
   * your own check. Without it, creating keys answers 401 `SESSION_REQUIRED` to everyone.
   * Replaces `createApiKeyAuth({ session })` (deprecated, still read when this is absent).
   */
  session?: SessionOptions
  /**
   * Origins allowed for cookie-authenticated POST/DELETE; default: the request's own origin.
   * Replaces `createApiKeyAuth({ allowedOrigins })` (deprecated, still read when this is absent).
   */
  allowedOrigins?: readonly string[]
  /**
   * Serve the routes' OpenAPI 3.1 document at `GET <basePath>/openapi.json`, without
   * authentication (it describes the routes, it holds no data). @defaultValue `false`
   */
  openapi?: boolean
  /**
   * Serve the key-management page: `<basePath>/ui` (a minimal page holding `<vydra-api-keys>`,
   * behind the same session as the routes) and its module and stylesheet at
   * `<basePath>/ui/vydra-api-keys.js` and `.css` (public: they hold no data). @defaultValue `false`
   */
  ui?: boolean
  /**
   * Who may manage the keys of an organisation or a service over these routes (issue 11):
   * called with the signed-in user and the owner a request names (`?owner=org:acme`); only
   * `true` allows it. Without it the routes manage the caller's own keys only, and a request
   * naming another owner gets the same 404 as an unknown key. A session is required (an API
   * key never manages another owner's keys). The service must enable the kind (`ownerTypes`).
   */
  canManage?: (input: KeyManagerCheck) => boolean | Promise<boolean>
}

/** What a {@link ApiKeyRoutesOptions.canManage} hook decides on. */
export interface KeyManagerCheck {
  /** The signed-in user. */
  session: { userId: string }
  /** The owner whose keys the request manages. */
  owner: { type: 'org' | 'svc'; id: string }
}

/** The routes' options, checked, with the service's logger and clock. @internal */
export interface RoutesSettings {
  basePath: string
  /** Full session options (secret included), or none. */
  session: SessionOptions | undefined
  sessionCookie: string
  allowedOrigins: readonly string[] | undefined
  logger: AuthLogger
  now: () => Date | number
  /** Serve `<basePath>/openapi.json`. */
  openapi: boolean
  /** Serve the key page at `<basePath>/ui`. */
  ui: boolean
  /** The `canManage` hook, if any. */
  canManage: ApiKeyRoutesOptions['canManage']
}

const CALL = 'apiKeyRoutes'
const originsSchema = z.array(
  z.string().refine(isOrigin, 'must be an origin like https://app.example'),
  { error: 'expected an array of origins such as https://app.example' },
)

/**
 * Checks the arguments of the routes (a wrong one fails here, when the app is built) and settles
 * the options: the routes' own `session` and `allowedOrigins`, else the deprecated ones given
 * to `createApiKeyAuth`. @throws `CONFIGURATION_ERROR` saying what was expected.
 */
export function resolveRoutesOptions(auth: unknown, options: unknown): RoutesSettings {
  assertAuthService(
    auth,
    CALL,
    'apiKeyRoutes(auth, options) on Express and Koa, app.register(apiKeyRoutes, { auth }) on Fastify',
  )
  assertOptionsObject(options, CALL, "{ basePath: '/api/v1/api-keys' }")
  const basePath: unknown = options?.basePath
  if (basePath !== undefined && typeof basePath !== 'string') {
    throw configError(
      `basePath must be a string such as '/api/v1/api-keys', got ${describeArgument(basePath)}`,
    )
  }
  const session =
    options?.session === undefined
      ? sessionOptionsOf((auth as ApiKeyAuth).options)
      : copySession(parse(sessionSchema, options.session, 'session') as SessionOptions)
  const allowedOrigins =
    options?.allowedOrigins === undefined
      ? (auth as ApiKeyAuth).options.allowedOrigins
      : Object.freeze([...parse(originsSchema, options.allowedOrigins, 'allowedOrigins')])
  const { logger, now } = (auth as ApiKeyAuth).options
  const openapi = flag(options?.openapi, 'openapi')
  const ui = flag(options?.ui, 'ui')
  const canManage: unknown = options?.canManage
  if (canManage !== undefined && typeof canManage !== 'function') {
    throw configError(`canManage must be a function, got ${describeArgument(canManage)}`)
  }
  return {
    canManage: canManage as ApiKeyRoutesOptions['canManage'],
    openapi,
    ui,
    basePath: normaliseBasePath(basePath ?? DEFAULTS.basePath),
    session,
    sessionCookie: session?.cookie ?? DEFAULTS.sessionCookie,
    allowedOrigins,
    logger,
    now,
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  const { issues, details } = explainIssues(
    parsed.error.issues.map((issue) => ({ ...issue, path: [name, ...issue.path] })),
  )
  throw new AuthError('CONFIGURATION_ERROR', { message: `${CALL}: ${details}`, issues })
}

function normaliseBasePath(path: string): string {
  if (!path.startsWith('/')) throw configError('basePath must start with /')
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}

function flag(value: unknown, name: string): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') {
    throw configError(`${name} must be true or false, got ${describeArgument(value)}`)
  }
  return value
}

function configError(message: string): AuthError {
  return new AuthError('CONFIGURATION_ERROR', { message: `${CALL}: ${message}` })
}
