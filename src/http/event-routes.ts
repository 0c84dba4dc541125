/**
 * `GET <basePath>/:id/events`: one page of a key's audit log (`auth.listEvents`), for the
 * owner's session or an API key holding `*`. The query is validated with zod (400 naming the
 * field); an unknown or foreign id is the same 404 as on `DELETE`. Internal module;
 * `createApiKeyRoutes` dispatches to it.
 * @module
 */
import type { ApiKeyAuth } from '../create-api-key-auth.js'
import { AuthError } from '../errors.js'
import { auditEventToJson, eventsQuerySchema } from './audit-route-schemas.js'
import type { CallerResolver } from './caller.js'
import { asResource } from './lifecycle-routes.js'
import { requestOwner } from './owner-access.js'
import type { RoutesSettings } from './routes-options.js'
import type { AuthRequest, AuthResponse } from './types.js'

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
}

/** Builds the handler of `GET <basePath>/:id/events`. */
export function createEventRoutes(
  auth: ApiKeyAuth,
  callerOf: CallerResolver,
  settings: Pick<RoutesSettings, 'canManage'>,
): (request: AuthRequest, id: string) => Promise<AuthResponse> {
  return async (request, id) => {
    const { owner } = await requestOwner(request, await callerOf(request, true), settings)
    const params = new URLSearchParams(request.query ?? '')
    const query: Record<string, string> = {}
    for (const name of ['limit', 'cursor']) {
      const value = params.get(name)
      if (value !== null) query[name] = value
    }
    const parsed = eventsQuerySchema.safeParse(query)
    if (!parsed.success) {
      throw new AuthError('VALIDATION_ERROR', {
        issues: parsed.error.issues.map((issue) => ({
          path: issue.path.filter((p): p is string | number => typeof p !== 'symbol'),
          message: issue.message,
        })),
      })
    }
    const page = await asResource(auth.listEvents({ ...owner, keyId: id, ...parsed.data }))
    return {
      status: 200,
      headers: JSON_HEADERS,
      body: { events: page.events.map(auditEventToJson), nextCursor: page.nextCursor },
    }
  }
}
