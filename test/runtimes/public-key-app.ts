/**
 * A second service in the runtime's Worker, for what needs public-key cryptography (issue 15:
 * WebCrypto on workerd): the key routes with a `session.jwt.publicKey` session, GitHub's secret
 * scanning with a P-256 key set, and one protected route, all under `/pk/`. The test process
 * generates the keys and configures the service with `POST /__pk/configure` (key material never
 * comes from the runtime itself, as on a real Worker, where it comes from its environment).
 */
import * as fe from '../../adapters/frameworks/fetch/index.js'
import {
  createSecretScanningHandler,
  fromWebRequest,
  type SecretScanningPublicKey,
  toWebResponse,
} from '../../src/http/index.js'
import { createApiKeyAuth, MemoryKeyStore } from '../../src/index.js'

/** What `POST /__pk/configure` takes. */
export interface PublicKeyConfig {
  /** `session.jwt.publicKey`: a PEM string or a JWK object. */
  sessionKey: string | Record<string, unknown>
  /** GitHub's secret-scanning keys (PEM). */
  github: SecretScanningPublicKey[]
}

export const PK = {
  routes: '/pk/api/v1/api-keys',
  scanning: '/pk/hooks/github',
  models: '/pk/api/v1/models',
  issuer: 'https://auth.vydra.test',
  audience: 'vydra-api',
}

/** The service of `config`; answers `null` for paths outside `/pk/`. */
export function createPublicKeyApp(
  config: PublicKeyConfig,
): (request: Request) => Promise<Response | null> {
  const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
  const routes = fe.apiKeyRoutes(auth, {
    basePath: PK.routes,
    session: {
      jwt: { publicKey: config.sessionKey as string, issuer: PK.issuer, audience: PK.audience },
    },
  })
  const scanning = createSecretScanningHandler(auth, {
    path: PK.scanning,
    publicKeys: config.github,
  })
  const guard = fe.requireApiKey(auth)
  return async (request) => {
    const handled = await routes.handle(request)
    if (handled !== null) return handled
    const scanned = await scanning(fromWebRequest(request))
    if (scanned !== null) return toWebResponse(scanned, request.method)
    if (new URL(request.url).pathname === PK.models) {
      const principal = await guard(request)
      if (principal instanceof Response) return principal
      return Response.json({ userId: principal.userId, keyId: principal.keyId })
    }
    return null
  }
}
