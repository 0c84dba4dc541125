/**
 * Who is calling a key-management route: the session user, or (where the route allows it) the
 * owner of an API key holding `*`; with the context of the change for events (the actor and
 * the request). Cookie-authenticated writes are CSRF-checked here, before the session is read.
 * @module
 */
import type { ApiKeyAuth, ManagementContext } from '../create-api-key-auth.js'
import { AuthError, isAuthError } from '../errors.js'
import { countHeaderLines } from '../lib/count-header-lines.js'
import { checkCsrf } from './csrf.js'
import { parseCookies } from './parse-cookies.js'
import type { RoutesSettings } from './routes-options.js'
import { createSessionRejectionLog, isBearerJwt } from './session/rejections.js'
import { createSessionVerifier } from './session/verifier.js'
import type { AuthRequest } from './types.js'

/** The caller of a route: whose keys it manages, and the change's context for events. */
export interface Caller {
  userId: string
  context: ManagementContext
}

/** Resolves the caller of a request; `allowApiKey` lets a `*` key stand in for a session. */
export type CallerResolver = (request: AuthRequest, allowApiKey: boolean) => Promise<Caller>

/** Builds the {@link CallerResolver} of one set of routes. */
export function createCallerResolver(auth: ApiKeyAuth, settings: RoutesSettings): CallerResolver {
  const verifySession = createSessionVerifier(settings)
  const logRejection = createSessionRejectionLog(settings)
  const anyScope = auth.checkRouteScopes(['*'])
  const byKey = async (request: AuthRequest): Promise<Caller> => {
    if (countHeaderLines(request.rawHeaders, 'authorization') > 1) {
      throw new AuthError('INVALID_FORMAT', { reason: 'duplicate_header' })
    }
    const principal = await auth
      .authenticate(request.headers.authorization, { scopes: anyScope, request })
      .catch((error: unknown) => {
        // A session token sent as a Bearer token: the client's mistake, worth telling the operator.
        if (
          isAuthError(error) &&
          error.code === 'INVALID_FORMAT' &&
          isBearerJwt(request.headers.authorization)
        ) {
          logRejection('bearer_jwt')
        }
        throw error
      })
    return {
      userId: principal.userId,
      context: { actor: { type: 'key', id: principal.keyId }, request },
    }
  }
  return async (request, allowApiKey) => {
    const hasAuthorization =
      request.headers.authorization !== undefined ||
      countHeaderLines(request.rawHeaders, 'authorization') > 0
    if (allowApiKey && hasAuthorization) return byKey(request)
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      checkCsrf(request, settings.allowedOrigins)
    }
    const cookies = request.cookies ?? parseCookies(request.headers.cookie)
    const user = await verifySession({ headers: request.headers, cookies })
    return { userId: user.userId, context: { actor: { type: 'user', id: user.userId }, request } }
  }
}
