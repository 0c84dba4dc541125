/** The stateless cases every framework must answer identically: request, expected outcome. */
import type { AuthErrorCode } from '../../src/index.js'
import type { Fixture } from './fixture.js'

/** A request of the suite: sent with `fetch`, or over a raw socket when `raw`. */
export interface Req {
  method?: string
  path: string
  /** Header lines in order; duplicates allowed with `raw`. */
  headers?: [string, string][]
  body?: string
  raw?: boolean
}

/** The expected outcome. */
export interface Expect {
  status: number
  code?: AuthErrorCode
  /** Exact `WWW-Authenticate`; `null` for none. */
  challenge?: string | null
  /** The store must not be asked (`findByHash`). */
  noLookup?: boolean
  /** On 200: the principal's user id. */
  userId?: string
  /** On 200: the key whose id the principal must carry. */
  keyId?: string
  /** Response headers that must match (`null`: must be absent). */
  headers?: Record<string, RegExp | null>
  /** On 200: the handler ran once with no principal (an optional route without a key). */
  anonymous?: boolean
}

/** One row of the golden table. */
export interface Case {
  id: string
  name: string
  req(f: Fixture): Req
  expect: Expect | ((f: Fixture) => Expect)
  /**
   * The answer on the web adapters (fetch, Hono, Next) when it differs: `Headers` joins repeated
   * lines with ", ", so two lines arrive as the one line the parser judges (docs/fetch.md).
   */
  web?: Expect | ((f: Fixture) => Expect)
}

export const NO_ERROR = 'Bearer realm="vydra"'
export const INVALID = 'Bearer realm="vydra", error="invalid_token"'
export const INVALID_REQUEST = 'Bearer realm="vydra", error="invalid_request"'
export const scopeChallenge = (scope: string): string =>
  `Bearer realm="vydra", error="insufficient_scope", scope="${scope}"`

const MODELS = '/api/v1/models'
/** Requires `models:read`, `jobs:read` and `account:read`, in that order. */
const REPORTS = '/api/v1/reports'
const bearer = (value: string): [string, string][] => [['Authorization', value]]
const missing: Expect = { status: 401, code: 'MISSING_AUTH', challenge: NO_ERROR, noLookup: true }
const invalid: Expect = { status: 401, code: 'INVALID_FORMAT', challenge: INVALID, noLookup: true }
/** No Bearer credential: another scheme, or one word (a scheme of its own by RFC 9110). */
const otherScheme: Expect = { ...invalid, challenge: NO_ERROR }
/** A Bearer attempt that is not one well-formed credential: fix the request, not the key. */
const malformed: Expect = { ...invalid, challenge: INVALID_REQUEST }
const okAs =
  (name: keyof Fixture['keys'], userId = 'u123') =>
  (f: Fixture): Expect => ({ status: 200, userId, keyId: f.keyIds[name] })

const rows: Case[] = []
const add = (id: string, name: string, req: Case['req'], expect: Case['expect']): void =>
  void rows.push({ id, name, req, expect })

// A. Header syntax and scheme
add(
  'HDR-01',
  'valid Bearer key',
  (f) => ({ path: MODELS, headers: bearer(`Bearer ${f.keys.K}`) }),
  okAs('K'),
)
add('HDR-02', 'no Authorization header', () => ({ path: MODELS }), missing)
add(
  'HDR-03',
  'empty Authorization header',
  () => ({ path: MODELS, raw: true, headers: [['Authorization', '']] }),
  missing,
)
add(
  'HDR-03',
  'blank Authorization header',
  () => ({ path: MODELS, raw: true, headers: [['Authorization', '    ']] }),
  missing,
)
add(
  'HDR-04',
  'lower-case header name and scheme',
  (f) => ({ path: MODELS, raw: true, headers: [['authorization', `bearer ${f.keys.K}`]] }),
  okAs('K'),
)
add(
  'HDR-05',
  'BEARER in capitals',
  (f) => ({ path: MODELS, headers: bearer(`BEARER ${f.keys.K}`) }),
  okAs('K'),
)
add(
  'HDR-05',
  'bEaReR mixed case',
  (f) => ({ path: MODELS, headers: bearer(`bEaReR ${f.keys.K}`) }),
  okAs('K'),
)
add(
  'HDR-06',
  'two spaces after the scheme',
  (f) => ({ path: MODELS, raw: true, headers: bearer(`Bearer  ${f.keys.K}`) }),
  okAs('K'),
)
add(
  'HDR-06',
  'five spaces after the scheme',
  (f) => ({ path: MODELS, raw: true, headers: bearer(`Bearer     ${f.keys.K}`) }),
  okAs('K'),
)
add(
  'HDR-07',
  'HTAB after the scheme',
  (f) => ({ path: MODELS, raw: true, headers: bearer(`Bearer\t${f.keys.K}`) }),
  malformed,
)
add(
  'HDR-08',
  'trailing space',
  (f) => ({ path: MODELS, raw: true, headers: bearer(`Bearer ${f.keys.K} `) }),
  okAs('K'),
)
add(
  'HDR-08',
  'leading spaces',
  (f) => ({ path: MODELS, raw: true, headers: bearer(`  Bearer ${f.keys.K}`) }),
  okAs('K'),
)
add(
  'HDR-08',
  'trailing HTAB',
  (f) => ({ path: MODELS, raw: true, headers: bearer(`Bearer ${f.keys.K}\t`) }),
  okAs('K'),
)
add('HDR-09', 'scheme only', () => ({ path: MODELS, headers: bearer('Bearer') }), malformed)
add(
  'HDR-09',
  'scheme and a space',
  () => ({ path: MODELS, raw: true, headers: bearer('Bearer ') }),
  malformed,
)
add(
  'HDR-10',
  'key then an extra word',
  (f) => ({ path: MODELS, headers: bearer(`Bearer ${f.keys.K} extra`) }),
  malformed,
)
add(
  'HDR-10',
  'key twice',
  (f) => ({ path: MODELS, headers: bearer(`Bearer ${f.keys.K} ${f.keys.K}`) }),
  malformed,
)
add(
  'HDR-11',
  'Basic scheme',
  () => ({ path: MODELS, headers: bearer('Basic dXNlcjpwYXNz') }),
  otherScheme,
)
add(
  'HDR-11',
  'Digest scheme',
  () => ({ path: MODELS, headers: bearer('Digest username="a"') }),
  otherScheme,
)
add(
  'HDR-11',
  'Token scheme with a valid key',
  (f) => ({ path: MODELS, headers: bearer(`Token ${f.keys.K}`) }),
  otherScheme,
)
add(
  'HDR-11',
  'ApiKey scheme with a valid key',
  (f) => ({ path: MODELS, headers: bearer(`ApiKey ${f.keys.K}`) }),
  otherScheme,
)
add(
  'HDR-12',
  'bare key without a scheme',
  (f) => ({ path: MODELS, headers: bearer(f.keys.K) }),
  otherScheme,
)
for (const glue of [':', '=', ',']) {
  add(
    'HDR-13',
    `scheme glued with "${glue}"`,
    (f) => ({ path: MODELS, headers: bearer(`Bearer${glue}${f.keys.K}`) }),
    malformed,
  )
}
add(
  'HDR-13',
  'scheme glued to the key (one word)',
  (f) => ({ path: MODELS, headers: bearer(`Bearer${f.keys.K}`) }),
  otherScheme,
)
add(
  'HDR-14',
  'quoted key',
  (f) => ({ path: MODELS, headers: bearer(`Bearer "${f.keys.K}"`) }),
  malformed,
)
for (const [label, wrap] of [
  ['key with =', (k: string) => `${k}=`],
  ['key with ==', (k: string) => `${k}==`],
  ['key with .', (k: string) => `${k}.`],
] as const) {
  add(
    'HDR-14',
    label,
    (f) => ({ path: MODELS, headers: bearer(`Bearer ${wrap(f.keys.K)}`) }),
    invalid,
  )
}
add(
  'HDR-16',
  'duplicate Authorization lines, bad then good',
  (f) => ({
    path: MODELS,
    raw: true,
    headers: [
      ['Authorization', `Bearer ${f.keys.unknown}`],
      ['Authorization', `Bearer ${f.keys.K}`],
    ],
  }),
  malformed,
)
add(
  'HDR-16',
  'duplicate Authorization lines, good then bad',
  (f) => ({
    path: MODELS,
    raw: true,
    headers: [
      ['Authorization', `Bearer ${f.keys.K}`],
      ['authorization', `Bearer ${f.keys.unknown}`],
    ],
  }),
  malformed,
)
add(
  'HDR-16',
  'duplicate Authorization lines, same key twice',
  (f) => ({
    path: MODELS,
    raw: true,
    headers: [
      ['Authorization', `Bearer ${f.keys.K}`],
      ['AUTHORIZATION', `Bearer ${f.keys.K}`],
    ],
  }),
  malformed,
)
// RFC 6750 §3 and §3.1 (issue 18): what the challenge says about each refused request
add(
  'RFC-01',
  'one word after Bearer, no space (Bearer123456)',
  () => ({ path: MODELS, headers: bearer('Bearer123456') }),
  otherScheme,
)
add(
  'RFC-01',
  'bare key of another environment',
  (f) => ({ path: MODELS, headers: bearer(f.keys.testEnv) }),
  otherScheme,
)
add(
  'RFC-01',
  'one word with leading and trailing spaces',
  () => ({ path: MODELS, raw: true, headers: bearer('  Bearer123456  ') }),
  otherScheme,
)
add(
  'RFC-02',
  'Bearer followed only by an HTAB',
  () => ({ path: MODELS, raw: true, headers: bearer('Bearer\t') }),
  malformed,
)
add(
  'RFC-02',
  'comma-joined Bearer credentials',
  (f) => ({ path: MODELS, headers: bearer(`Bearer ${f.keys.K}, Bearer ${f.keys.star}`) }),
  malformed,
)
add(
  'RFC-02',
  'key with a trailing comma',
  (f) => ({ path: MODELS, headers: bearer(`Bearer ${f.keys.K},`) }),
  malformed,
)
add(
  'RFC-02',
  'Bearer credential, then Basic',
  (f) => ({ path: MODELS, headers: bearer(`Bearer ${f.keys.K}, Basic dXNlcjpwYXNz`) }),
  malformed,
)
add(
  'RFC-02',
  'Basic credential, then Bearer: answered as another scheme',
  (f) => ({ path: MODELS, headers: bearer(`Basic dXNlcjpwYXNz, Bearer ${f.keys.K}`) }),
  otherScheme,
)
add(
  'RFC-02',
  'Bearer with an auth-param instead of a token',
  () => ({ path: MODELS, headers: bearer('Bearer token="abc"') }),
  malformed,
)
add(
  'RFC-02',
  'duplicate Authorization lines, Basic then Bearer',
  (f) => ({
    path: MODELS,
    raw: true,
    headers: [
      ['Authorization', 'Basic dXNlcjpwYXNz'],
      ['Authorization', `Bearer ${f.keys.K}`],
    ],
  }),
  malformed,
)
// Through `Headers` the two lines are "Basic …, Bearer …": another scheme first, still refused.
;(rows.at(-1) as Case).web = otherScheme
add(
  'RFC-03',
  'a key lacking two of three required scopes: both named, in route order',
  (f) => ({ path: REPORTS, headers: bearer(`Bearer ${f.keys.K}`) }),
  { status: 403, code: 'INSUFFICIENT_SCOPE', challenge: scopeChallenge('jobs:read account:read') },
)
add(
  'RFC-03',
  'a key lacking all three: all named, in route order',
  (f) => ({ path: REPORTS, headers: bearer(`Bearer ${f.keys.uploadAll}`) }),
  {
    status: 403,
    code: 'INSUFFICIENT_SCOPE',
    challenge: scopeChallenge('models:read jobs:read account:read'),
  },
)
add(
  'RFC-03',
  'a wildcard covers the middle one; the other two are named',
  (f) => ({ path: REPORTS, headers: bearer(`Bearer ${f.keys.jobsAll}`) }),
  {
    status: 403,
    code: 'INSUFFICIENT_SCOPE',
    challenge: scopeChallenge('models:read account:read'),
  },
)
add(
  'RFC-03',
  'a key holding the last one only',
  (f) => ({ path: REPORTS, headers: bearer(`Bearer ${f.keys.accountRead}`) }),
  { status: 403, code: 'INSUFFICIENT_SCOPE', challenge: scopeChallenge('models:read jobs:read') },
)
add(
  'RFC-03',
  'a * key passes the three-scope route',
  (f) => ({ path: REPORTS, headers: bearer(`Bearer ${f.keys.star}`) }),
  okAs('star'),
)

// The same on the key-management routes, which read the header themselves.
for (const [method, path] of [
  ['GET', '/api/v1/api-keys'],
  // An id nobody has: if the duplicate slipped through, the answer would be a 404, not a 401.
  ['DELETE', '/api/v1/api-keys/00000000-0000-4000-8000-000000000000'],
] as const) {
  add(
    'HDR-16',
    `${method} key routes: duplicate Authorization lines, good then bad`,
    (f) => ({
      method,
      path,
      raw: true,
      headers: [
        ['Authorization', `Bearer ${f.keys.star}`],
        ['authorization', `Bearer ${f.keys.unknown}`],
      ],
    }),
    malformed,
  )
  add(
    'HDR-16',
    `${method} key routes: duplicate Authorization lines, same key twice`,
    (f) => ({
      method,
      path,
      raw: true,
      headers: [
        ['Authorization', `Bearer ${f.keys.star}`],
        ['Authorization', `Bearer ${f.keys.star}`],
      ],
    }),
    malformed,
  )
}
add(
  'HDR-17',
  'only Proxy-Authorization',
  (f) => ({ path: MODELS, headers: [['Proxy-Authorization', `Bearer ${f.keys.K}`]] }),
  missing,
)
add(
  'HDR-23',
  '10 KB token',
  () => ({ path: MODELS, headers: bearer(`Bearer ${'A'.repeat(10_240)}`) }),
  invalid,
)
add(
  'HDR-23',
  '10 KB userId inside a key',
  (f) => ({
    path: MODELS,
    headers: bearer(`Bearer vydra_live_user_${'a'.repeat(10_000)}_${f.keys.K.slice(-38)}`),
  }),
  invalid,
)

// B. Key format, as far as it shows over HTTP
add(
  'FMT-01',
  'test-environment key on a live instance',
  (f) => ({ path: MODELS, headers: bearer(`Bearer ${f.keys.testEnv}`) }),
  invalid,
)
add(
  'FMT-05',
  'userId with underscores',
  (f) => ({ path: MODELS, headers: bearer(`Bearer ${f.keys.org}`) }),
  okAs('org', 'org_team_42'),
)

// C. Credentials in other places
for (const param of ['access_token', 'api_key', 'key', 'token']) {
  add('LOC-01', `key in ?${param}=`, (f) => ({ path: `${MODELS}?${param}=${f.keys.K}` }), missing)
}
add(
  'LOC-03',
  'header key wins over ?access_token',
  (f) => ({ path: `${MODELS}?access_token=${f.keys.star}`, headers: bearer(`Bearer ${f.keys.K}`) }),
  okAs('K'),
)
add(
  'LOC-03',
  'bad header with a valid ?access_token',
  (f) => ({ path: `${MODELS}?access_token=${f.keys.K}`, headers: bearer('Bearer nope') }),
  invalid,
)
add(
  'LOC-04',
  'key in a form body',
  (f) => ({
    method: 'POST',
    path: '/api/v1/upload',
    headers: [['Content-Type', 'application/x-www-form-urlencoded']],
    body: `access_token=${f.keys.uploadAll}`,
  }),
  missing,
)
for (const name of ['access_token', 'api_key', '__session']) {
  add(
    'LOC-05',
    `key in cookie ${name}`,
    (f) => ({ path: MODELS, headers: [['Cookie', `${name}=${f.keys.K}`]] }),
    missing,
  )
}
add(
  'LOC-07',
  'X-API-Key header',
  (f) => ({ path: MODELS, headers: [['X-API-Key', f.keys.K]] }),
  missing,
)
add(
  'LOC-07',
  'Api-Key header',
  (f) => ({ path: MODELS, headers: [['Api-Key', f.keys.K]] }),
  missing,
)

// The six documented errors
add('SEED', 'MISSING_AUTH', () => ({ path: MODELS }), missing)
add(
  'SEED',
  'INVALID_FORMAT',
  () => ({ path: MODELS, headers: bearer('Bearer vydra_live_user_abc_X7kM9pQ') }),
  invalid,
)
add(
  'SEED',
  'KEY_NOT_FOUND',
  (f) => ({ path: MODELS, headers: bearer(`Bearer ${f.keys.unknown}`) }),
  { status: 401, code: 'KEY_NOT_FOUND', challenge: INVALID },
)
add('SEED', 'KEY_REVOKED', (f) => ({ path: MODELS, headers: bearer(`Bearer ${f.keys.revoked}`) }), {
  status: 401,
  code: 'KEY_REVOKED',
  challenge: INVALID,
})
add('SEED', 'KEY_EXPIRED', (f) => ({ path: MODELS, headers: bearer(`Bearer ${f.keys.expired}`) }), {
  status: 401,
  code: 'KEY_EXPIRED',
  challenge: INVALID,
})
add(
  'SEED',
  'INSUFFICIENT_SCOPE',
  (f) => ({
    method: 'POST',
    path: '/api/v1/models/generate',
    headers: bearer(`Bearer ${f.keys.K}`),
  }),
  { status: 403, code: 'INSUFFICIENT_SCOPE', challenge: scopeChallenge('models:write') },
)

// Scopes: each key of the seed's scope table against each route
const SCOPE_MATRIX: [keyof Fixture['keys'], string, string[]][] = [
  [
    'star',
    '*',
    [
      'GET /api/v1/models',
      'POST /api/v1/models/generate',
      'DELETE /api/v1/models/cache',
      'GET /api/v1/jobs',
      'POST /api/v1/jobs',
      'POST /api/v1/upload',
      'GET /api/v1/account',
      'GET /api/v1/admin',
    ],
  ],
  [
    'modelsAll',
    'models:*',
    ['GET /api/v1/models', 'POST /api/v1/models/generate', 'DELETE /api/v1/models/cache'],
  ],
  ['K', 'models:read', ['GET /api/v1/models']],
  ['modelsWrite', 'models:write', ['POST /api/v1/models/generate']],
  ['jobsAll', 'jobs:*', ['GET /api/v1/jobs', 'POST /api/v1/jobs']],
  ['uploadAll', 'upload:*', ['POST /api/v1/upload']],
  ['accountRead', 'account:read', ['GET /api/v1/account']],
]
const ROUTE_SCOPES: [string, string][] = [
  ['GET /api/v1/models', 'models:read'],
  ['POST /api/v1/models/generate', 'models:write'],
  ['DELETE /api/v1/models/cache', 'models:*'],
  ['GET /api/v1/jobs', 'jobs:read'],
  ['POST /api/v1/jobs', 'jobs:write'],
  ['POST /api/v1/upload', 'upload:write'],
  ['GET /api/v1/account', 'account:read'],
  ['GET /api/v1/admin', '*'],
]
for (const [key, granted, allowed] of SCOPE_MATRIX) {
  for (const [route, required] of ROUTE_SCOPES) {
    const [method, path] = route.split(' ') as [string, string]
    const ok = allowed.includes(route)
    add(
      'SCOPE',
      `key with ${granted} on ${route}`,
      (f) => ({ method, path, headers: bearer(`Bearer ${f.keys[key]}`) }),
      ok
        ? okAs(key)
        : { status: 403, code: 'INSUFFICIENT_SCOPE', challenge: scopeChallenge(required) },
    )
  }
}

// N. Health exemption, bypass headers
add('RTE-01', 'health without auth', () => ({ path: '/api/v1/health' }), {
  status: 200,
  noLookup: true,
})
add(
  'RTE-02',
  'health with a garbage key',
  () => ({ path: '/api/v1/health', headers: bearer('Bearer garbage') }),
  { status: 200, noLookup: true },
)
add(
  'RTE-02',
  'health with a revoked key',
  (f) => ({ path: '/api/v1/health', headers: bearer(`Bearer ${f.keys.revoked}`) }),
  { status: 200, noLookup: true },
)
add('RTE-05', 'HEAD without auth', () => ({ method: 'HEAD', path: MODELS }), {
  status: 401,
  noLookup: true,
})
add(
  'RTE-05',
  'X-HTTP-Method-Override is not honoured before auth',
  () => ({
    method: 'POST',
    path: '/api/v1/models/generate',
    headers: [['X-HTTP-Method-Override', 'GET']],
  }),
  missing,
)
add(
  'RTE-07',
  'route of a protected scope without a key',
  () => ({ path: '/api/v1/private/thing' }),
  missing,
)
add(
  'RTE-07',
  'route of a protected scope with a key',
  (f) => ({ path: '/api/v1/private/thing', headers: bearer(`Bearer ${f.keys.K}`) }),
  okAs('K'),
)

// H. Leakage (store failure text never reaches the client)
add(
  'LEAK-04',
  'store failure is a generic 503',
  (f) => ({ path: '/api/v1/fragile', headers: bearer(`Bearer ${f.keys.K}`) }),
  { status: 503, code: 'AUTH_UNAVAILABLE', challenge: null },
)
add(
  'LEAK-05',
  '403 names the required scope only',
  (f) => ({ method: 'POST', path: '/api/v1/upload', headers: bearer(`Bearer ${f.keys.K}`) }),
  { status: 403, code: 'INSUFFICIENT_SCOPE', challenge: scopeChallenge('upload:write') },
)

// L. Usage limits (issue 12): after 401 and 403, a 429 with the RateLimit fields; the handler
// never runs. Stateless by design: these keys' answers do not depend on the order of requests.
add(
  'LIM-01',
  'a limited key is admitted with RateLimit-Policy and RateLimit',
  (f) => ({ path: MODELS, headers: bearer(`Bearer ${f.keys.limited}`) }),
  (f) => ({
    ...okAs('limited', 'plan_user')(f),
    headers: {
      'ratelimit-policy': /^"minute";q=1000000;w=60$/,
      ratelimit: /^"minute";r=\d+;t=\d+$/,
    },
  }),
)
add(
  'LIM-02',
  'an unlimited key gets no RateLimit fields',
  (f) => ({ method: 'POST', path: '/api/v1/batch', headers: bearer(`Bearer ${f.keys.K}`) }),
  (f) => ({ ...okAs('K')(f), headers: { 'ratelimit-policy': null, ratelimit: null } }),
)
add(
  'LIM-03',
  'no credits left: 429 CREDITS_EXHAUSTED, Retry-After until the refill, no challenge',
  (f) => ({ path: MODELS, headers: bearer(`Bearer ${f.keys.broke}`) }),
  {
    status: 429,
    code: 'CREDITS_EXHAUSTED',
    challenge: null,
    headers: {
      'retry-after': /^\d+$/,
      'ratelimit-policy': /^"credits";q=1$/,
      ratelimit: /^"credits";r=0;t=\d+$/,
    },
  },
)
add(
  'LIM-04',
  'a route cost above the key limit: 429 RATE_LIMITED without Retry-After',
  (f) => ({ method: 'POST', path: '/api/v1/batch', headers: bearer(`Bearer ${f.keys.tight}`) }),
  {
    status: 429,
    code: 'RATE_LIMITED',
    challenge: null,
    headers: {
      'retry-after': null,
      'ratelimit-policy': /^"minute";q=3;w=60$/,
      ratelimit: /^"minute";r=\d;t=\d+$/,
    },
  },
)
add(
  'LIM-05',
  '403 before 429: a limited key without the scope',
  (f) => ({ method: 'POST', path: '/api/v1/upload', headers: bearer(`Bearer ${f.keys.broke}`) }),
  { status: 403, code: 'INSUFFICIENT_SCOPE', challenge: scopeChallenge('upload:write') },
)
add(
  'LIM-06',
  '401 before 429: an unknown key on a costly route',
  (f) => ({ method: 'POST', path: '/api/v1/batch', headers: bearer(`Bearer ${f.keys.unknown}`) }),
  { status: 401, code: 'KEY_NOT_FOUND', challenge: INVALID },
)
// O. Optional authentication (issue 15): no header is anonymous; a header present is verified.
const CATALOG = '/api/v1/catalog'
const CATALOG_MODELS = '/api/v1/catalog/models'
const FEED = '/api/v1/feed'
const FEED_PUBLIC = '/api/v1/feed/public'
const anonymous: Expect = { status: 200, anonymous: true, noLookup: true }
add(
  'OPT-01',
  'optional route without a header runs anonymous',
  () => ({ path: CATALOG }),
  anonymous,
)
add(
  'OPT-01',
  'optional route with a scope, without a header, runs anonymous',
  () => ({ path: CATALOG_MODELS }),
  anonymous,
)
add(
  'OPT-02',
  'optional route with a valid key gets the principal',
  (f) => ({ path: CATALOG, headers: bearer(`Bearer ${f.keys.K}`) }),
  okAs('K'),
)
add(
  'OPT-02',
  'optional route with a scope and a key holding it',
  (f) => ({ path: CATALOG_MODELS, headers: bearer(`Bearer ${f.keys.modelsAll}`) }),
  okAs('modelsAll'),
)
add(
  'OPT-03',
  'optional route, empty Authorization header: present, so refused',
  () => ({ path: CATALOG, raw: true, headers: [['Authorization', '']] }),
  missing,
)
add(
  'OPT-03',
  'optional route, Authorization "Bearer" alone is refused',
  () => ({ path: CATALOG, headers: bearer('Bearer') }),
  { status: 401, code: 'INVALID_FORMAT', noLookup: true },
)
add(
  'OPT-03',
  'optional route, malformed key is refused',
  () => ({ path: CATALOG, headers: bearer('Bearer garbage') }),
  { status: 401, code: 'INVALID_FORMAT', noLookup: true },
)
add(
  'OPT-03',
  'optional route, another scheme is refused',
  () => ({ path: CATALOG, headers: bearer('Basic dXNlcjpwYXNz') }),
  otherScheme,
)
add(
  'OPT-03',
  'optional route, unknown key is refused',
  (f) => ({ path: CATALOG, headers: bearer(`Bearer ${f.keys.unknown}`) }),
  { status: 401, code: 'KEY_NOT_FOUND', challenge: INVALID },
)
add(
  'OPT-03',
  'optional route, revoked key is refused',
  (f) => ({ path: CATALOG, headers: bearer(`Bearer ${f.keys.revoked}`) }),
  { status: 401, code: 'KEY_REVOKED', challenge: INVALID },
)
add(
  'OPT-03',
  'optional route, expired key is refused',
  (f) => ({ path: CATALOG, headers: bearer(`Bearer ${f.keys.expired}`) }),
  { status: 401, code: 'KEY_EXPIRED', challenge: INVALID },
)
add(
  'OPT-03',
  'optional route, test key on a live service is refused',
  (f) => ({ path: CATALOG, headers: bearer(`Bearer ${f.keys.testEnv}`) }),
  { status: 401, code: 'INVALID_FORMAT', noLookup: true },
)
add(
  'OPT-03',
  'optional route, duplicate Authorization lines are refused',
  (f) => ({
    path: CATALOG,
    raw: true,
    headers: [
      ['Authorization', `Bearer ${f.keys.K}`],
      ['Authorization', `Bearer ${f.keys.K}`],
    ],
  }),
  malformed,
)
add(
  'OPT-04',
  'optional route with a scope, key without it: 403',
  (f) => ({ path: CATALOG_MODELS, headers: bearer(`Bearer ${f.keys.jobsAll}`) }),
  { status: 403, code: 'INSUFFICIENT_SCOPE', challenge: scopeChallenge('models:read') },
)
add(
  'OPT-05',
  'optional route on a failing store, with a key: 503, never anonymous',
  (f) => ({ path: '/api/v1/fragile/optional', headers: bearer(`Bearer ${f.keys.K}`) }),
  { status: 503, code: 'AUTH_UNAVAILABLE', challenge: null },
)
add(
  'OPT-05',
  'optional route on a failing store, without a header: anonymous',
  () => ({ path: '/api/v1/fragile/optional' }),
  anonymous,
)

// P. Any-of scopes (issue 15): one of the alternatives suffices; the 403 names them all.
add(
  'ANY-01',
  'any-of: a key holding the first alternative',
  (f) => ({ path: FEED, headers: bearer(`Bearer ${f.keys.jobsAll}`) }),
  okAs('jobsAll'),
)
add(
  'ANY-01',
  'any-of: a key holding the second alternative',
  (f) => ({ path: FEED, headers: bearer(`Bearer ${f.keys.accountRead}`) }),
  okAs('accountRead'),
)
add(
  'ANY-01',
  'any-of: a key holding *',
  (f) => ({ path: FEED, headers: bearer(`Bearer ${f.keys.star}`) }),
  okAs('star'),
)
add(
  'ANY-02',
  'any-of: a key holding none of them',
  (f) => ({ path: FEED, headers: bearer(`Bearer ${f.keys.K}`) }),
  {
    status: 403,
    code: 'INSUFFICIENT_SCOPE',
    challenge: scopeChallenge('jobs:read account:read'),
  },
)
add('ANY-02', 'any-of: no header', () => ({ path: FEED }), missing)
add(
  'ANY-03',
  'any-of and optional: no header runs anonymous',
  () => ({ path: FEED_PUBLIC }),
  anonymous,
)
add(
  'ANY-03',
  'any-of and optional: a key holding one of them',
  (f) => ({ path: FEED_PUBLIC, headers: bearer(`Bearer ${f.keys.accountRead}`) }),
  okAs('accountRead'),
)
add(
  'ANY-03',
  'any-of and optional: a key holding none of them is 403, never anonymous',
  (f) => ({ path: FEED_PUBLIC, headers: bearer(`Bearer ${f.keys.modelsWrite}`) }),
  {
    status: 403,
    code: 'INSUFFICIENT_SCOPE',
    challenge: scopeChallenge('jobs:read account:read'),
  },
)

// Issue 11, the lifecycle routes: refusals that change nothing, so the table stays stateless.
const KEYS_PATH = '/api/v1/api-keys'
const NOBODY = '00000000-0000-4000-8000-000000000000'
const asStar = (f: Fixture, extra: [string, string][] = []): [string, string][] => [
  ['Authorization', `Bearer ${f.keys.star}`],
  ...extra,
]
const jsonType: [string, string] = ['Content-Type', 'application/json']
const notFound: Expect = { status: 404, code: 'KEY_NOT_FOUND', challenge: null }
const badInput: Expect = { status: 400, code: 'VALIDATION_ERROR', challenge: null }
const conflict: Expect = { status: 409, code: 'KEY_STATE_CONFLICT', challenge: null }
for (const action of ['roll', 'disable', 'enable'] as const) {
  add(
    'LIFE-01',
    `POST :id/${action} of an unknown id is 404, no challenge`,
    (f) => ({ method: 'POST', path: `${KEYS_PATH}/${NOBODY}/${action}`, headers: asStar(f) }),
    notFound,
  )
  add(
    'LIFE-01',
    `POST :id/${action} of another user's key is the same 404`,
    (f) => ({
      method: 'POST',
      path: `${KEYS_PATH}/${f.keyIds.attacker}/${action}`,
      headers: asStar(f),
    }),
    notFound,
  )
  add(
    'LIFE-02',
    `POST :id/${action} without credentials is 401 SESSION_REQUIRED`,
    (f) => ({ method: 'POST', path: `${KEYS_PATH}/${f.keyIds.K}/${action}` }),
    { status: 401, code: 'SESSION_REQUIRED', challenge: NO_ERROR },
  )
  add(
    'LIFE-02',
    `GET :id/${action} is 405`,
    (f) => ({ path: `${KEYS_PATH}/${f.keyIds.K}/${action}`, headers: asStar(f) }),
    { status: 405, code: 'METHOD_NOT_ALLOWED', challenge: null },
  )
}
add(
  'LIFE-03',
  'POST :id/roll of a revoked key is 409 KEY_STATE_CONFLICT',
  (f) => ({ method: 'POST', path: `${KEYS_PATH}/${f.keyIds.revoked}/roll`, headers: asStar(f) }),
  conflict,
)
add(
  'LIFE-03',
  'POST :id/roll of an expired key is 409 KEY_STATE_CONFLICT',
  (f) => ({ method: 'POST', path: `${KEYS_PATH}/${f.keyIds.expired}/roll`, headers: asStar(f) }),
  conflict,
)
add(
  'LIFE-03',
  'POST :id/enable of a revoked key is 409 KEY_STATE_CONFLICT',
  (f) => ({ method: 'POST', path: `${KEYS_PATH}/${f.keyIds.revoked}/enable`, headers: asStar(f) }),
  conflict,
)
add(
  'LIFE-04',
  'POST :id/roll with a negative grace is 400 naming gracePeriodMs',
  (f) => ({
    method: 'POST',
    path: `${KEYS_PATH}/${f.keyIds.K}/roll`,
    headers: asStar(f, [jsonType]),
    body: JSON.stringify({ gracePeriodMs: -1 }),
  }),
  badInput,
)
add(
  'LIFE-04',
  'POST :id/roll with a grace over maxRollGraceMs is 400',
  (f) => ({
    method: 'POST',
    path: `${KEYS_PATH}/${f.keyIds.K}/roll`,
    headers: asStar(f, [jsonType]),
    body: JSON.stringify({ gracePeriodMs: 8 * 86_400_000 }),
  }),
  badInput,
)
add(
  'LIFE-05',
  'PATCH :id widening scopes is 400 VALIDATION_ERROR',
  (f) => ({
    method: 'PATCH',
    path: `${KEYS_PATH}/${f.keyIds.K}`,
    headers: asStar(f, [jsonType]),
    body: JSON.stringify({ scopes: ['models:write'] }),
  }),
  badInput,
)
add(
  'LIFE-05',
  'PATCH :id with an unknown field (an un-revoke attempt) is 400',
  (f) => ({
    method: 'PATCH',
    path: `${KEYS_PATH}/${f.keyIds.revoked}`,
    headers: asStar(f, [jsonType]),
    body: JSON.stringify({ revokedAt: null }),
  }),
  badInput,
)
add(
  'LIFE-05',
  'PATCH :id with metadata nested 6 deep is 400',
  (f) => ({
    method: 'PATCH',
    path: `${KEYS_PATH}/${f.keyIds.K}`,
    headers: asStar(f, [jsonType]),
    body: JSON.stringify({ metadata: { a: { b: { c: { d: { e: { f: 1 } } } } } } }),
  }),
  badInput,
)
add(
  'LIFE-05',
  'PATCH :id renaming a revoked key is 409',
  (f) => ({
    method: 'PATCH',
    path: `${KEYS_PATH}/${f.keyIds.revoked}`,
    headers: asStar(f, [jsonType]),
    body: JSON.stringify({ name: 'again' }),
  }),
  conflict,
)
add(
  'LIFE-05',
  'PATCH :id of an unknown id is 404',
  (f) => ({
    method: 'PATCH',
    path: `${KEYS_PATH}/${NOBODY}`,
    headers: asStar(f, [jsonType]),
    body: JSON.stringify({ name: 'x' }),
  }),
  notFound,
)
for (const query of ['limit=0', 'limit=201', 'limit=abc', 'status=gone', 'cursor=bm9wZQ']) {
  add(
    'LIFE-06',
    `GET list ?${query} is 400 VALIDATION_ERROR`,
    (f) => ({ path: `${KEYS_PATH}?${query}`, headers: asStar(f) }),
    badInput,
  )
}

// Issue 14, the audit log: GET :id/events (reads only, so the table stays stateless).
const events = (id: string | undefined, query = ''): string => `${KEYS_PATH}/${id}/events${query}`
add(
  'AUD-01',
  "GET :id/events of the caller's own key is 200",
  (f) => ({ path: events(f.keyIds.K), headers: asStar(f) }),
  { status: 200, challenge: null, headers: { 'cache-control': /^no-store$/ } },
)
add(
  'AUD-01',
  'GET :id/events of an unknown id is 404, no challenge',
  (f) => ({ path: events(NOBODY), headers: asStar(f) }),
  notFound,
)
add(
  'AUD-01',
  "GET :id/events of another user's key is the same 404",
  (f) => ({ path: events(f.keyIds.attacker), headers: asStar(f) }),
  notFound,
)
add(
  'AUD-02',
  'GET :id/events without credentials is 401 SESSION_REQUIRED',
  (f) => ({ path: events(f.keyIds.K) }),
  { status: 401, code: 'SESSION_REQUIRED', challenge: NO_ERROR },
)
add(
  'AUD-02',
  'GET :id/events with a key without * is 403',
  (f) => ({ path: events(f.keyIds.K), headers: bearer(`Bearer ${f.keys.K}`) }),
  { status: 403, code: 'INSUFFICIENT_SCOPE', challenge: scopeChallenge('*') },
)
add(
  'AUD-02',
  'POST :id/events is 405',
  (f) => ({ method: 'POST', path: events(f.keyIds.K), headers: asStar(f) }),
  { status: 405, code: 'METHOD_NOT_ALLOWED', challenge: null },
)
for (const query of ['limit=0', 'limit=201', 'limit=abc', 'cursor=bm9wZQ']) {
  add(
    'AUD-03',
    `GET :id/events?${query} is 400 VALIDATION_ERROR`,
    (f) => ({ path: events(f.keyIds.K, `?${query}`), headers: asStar(f) }),
    badInput,
  )
}

/** The golden table. */
export const CASES: readonly Case[] = rows
