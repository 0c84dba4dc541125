/**
 * The routes' own documents, served beside them when asked for: the OpenAPI document at
 * `<basePath>/openapi.json`, and the key page at `<basePath>/ui` with its module and stylesheet.
 * Internal module.
 * @module
 */
import type { ApiKeyAuth } from '../create-api-key-auth.js'
import { AuthError } from '../errors.js'
import type { CallerResolver } from './caller.js'
import { apiKeyRoutesOpenApi } from './openapi/document.js'
import type { RoutesSettings } from './routes-options.js'
import type { AuthRequest, AuthResponse } from './types.js'
import { COMPONENT_SOURCE } from './ui/component-source.js'
import { hostPage, UI_CSP } from './ui/host-page.js'
import { STYLESHEET_SOURCE } from './ui/stylesheet-source.js'

/** Answers a request for one of the documents, or `null` when it asks for none. */
export type DocumentRoutes = (request: AuthRequest) => AuthResponse | Promise<AuthResponse> | null

interface Document {
  /** Whose session must be valid first (the page); none for public documents. */
  session: boolean
  response: AuthResponse
}

// Static documents: never sniffed as another type, never framed.
const STATIC = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' }

const text = (type: string, body: string, extra: Record<string, string> = {}): AuthResponse => ({
  status: 200,
  headers: { 'content-type': `${type}; charset=utf-8`, ...STATIC, ...extra },
  body: null,
  text: body,
})

/** Builds the document routes the settings turn on (none by default). */
export function createDocumentRoutes(
  auth: ApiKeyAuth,
  settings: RoutesSettings,
  callerOf: CallerResolver,
): DocumentRoutes {
  const { basePath } = settings
  const documents = new Map<string, Document>()
  if (settings.openapi) {
    // Built once: the document depends only on the options, fixed when the routes are built.
    const body = apiKeyRoutesOpenApi({ basePath, auth, sessionCookie: settings.sessionCookie })
    documents.set(`${basePath}/openapi.json`, {
      session: false,
      response: {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' },
        body,
      },
    })
  }
  if (settings.ui) {
    const { scopes, maxExpiresInDays } = auth.options
    const page = hostPage(basePath, scopes, maxExpiresInDays)
    documents.set(`${basePath}/ui`, {
      session: true,
      response: text('text/html', page, {
        'content-security-policy': UI_CSP,
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      }),
    })
    documents.set(`${basePath}/ui/vydra-api-keys.js`, {
      session: false,
      response: text('text/javascript', COMPONENT_SOURCE),
    })
    documents.set(`${basePath}/ui/vydra-api-keys.css`, {
      session: false,
      response: text('text/css', STYLESHEET_SOURCE),
    })
  }
  return (request) => {
    const document = documents.get(request.path)
    if (document === undefined) return null
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return auth.errorResponse(new AuthError('METHOD_NOT_ALLOWED', { allow: 'GET, HEAD' }))
    }
    if (!document.session) return document.response
    // The page is behind the same session as the routes: no session, no page.
    return callerOf(request, false).then(
      () => document.response,
      (error: unknown) => auth.errorResponse(error),
    )
  }
}
