/**
 * The routes' own documents, served beside them when asked for: the OpenAPI document at
 * `<basePath>/openapi.json`. Internal module.
 * @module
 */
import type { ApiKeyAuth } from '../create-api-key-auth.js'
import { AuthError } from '../errors.js'
import { apiKeyRoutesOpenApi } from './openapi/document.js'
import type { RoutesSettings } from './routes-options.js'
import type { AuthRequest, AuthResponse } from './types.js'

/** Answers a request for one of the documents, or `null` when it asks for none. */
export type DocumentRoutes = (request: AuthRequest) => AuthResponse | null

/** Builds the document routes the settings turn on (none by default). */
export function createDocumentRoutes(auth: ApiKeyAuth, settings: RoutesSettings): DocumentRoutes {
  const documents = new Map<string, () => AuthResponse>()
  if (settings.openapi) {
    // Built once: the document depends only on the options, fixed when the routes are built.
    const body = apiKeyRoutesOpenApi({
      basePath: settings.basePath,
      auth,
      sessionCookie: settings.sessionCookie,
    })
    documents.set(`${settings.basePath}/openapi.json`, () => ({
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' },
      body,
    }))
  }
  return (request) => {
    const serve = documents.get(request.path)
    if (serve === undefined) return null
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return auth.errorResponse(new AuthError('METHOD_NOT_ALLOWED', { allow: 'GET, HEAD' }))
    }
    return serve()
  }
}
