/**
 * The OpenAPI document against real answers. The shared e2e harness (`describeE2e`) records every
 * answer of the key routes on each framework build and, as its last test, checks each one here:
 * the status is listed for its operation, the body is valid against the documented schema (so the
 * error `code` is in that status's enum), documented required headers are present and constant
 * headers hold their value.
 */
import { Ajv2020 } from 'ajv8/dist/2020.js'
import formats from 'ajv-formats'
import { apiKeyRoutesOpenApi } from '../../src/index.js'
import type { Req } from './cases.js'
import type { Res } from './http.js'

/** Where the e2e apps mount the key routes. */
export const KEYS_BASE = '/api/v1/api-keys'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- walking a JSON document
const DOC_ID = 'https://vydra.invalid/openapi.json'

/** A checker for answers against `document` (by default the routes' own document). */
export function createConformanceChecker(
  document: Json = apiKeyRoutesOpenApi() as unknown as Json,
): {
  documentedPath(path: string): string | null
  problems(req: Req, res: Res): string[]
} {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  formats.default(ajv)
  ajv.addSchema({ $id: DOC_ID, ...document })
  const pointer = (...parts: string[]): string =>
    `${DOC_ID}#/${parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`
  // Each documented path as a pattern: `{id}` is one segment.
  const templates = Object.keys(document.paths as Json).map((template) => ({
    template,
    pattern: new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}/?$`,
    ),
  }))
  // Fixed paths first (`/x/openapi.json` before `/x/{id}`), then by length.
  templates.sort(
    (a, b) =>
      Number(a.template.includes('{')) - Number(b.template.includes('{')) ||
      b.template.length - a.template.length,
  )

  const documentedPath = (path: string): string | null => {
    const bare = path.split('?')[0] ?? ''
    return templates.find(({ pattern }) => pattern.test(bare))?.template ?? null
  }

  const problems = (req: Req, res: Res): string[] => {
    const method = (req.method ?? 'GET').toLowerCase()
    const path = documentedPath(req.path)
    if (path === null) return []
    const operationMethod = method === 'head' ? 'get' : method
    const operation = (document.paths[path] as Json)[operationMethod] as Json | undefined
    let response: Json | undefined
    let where: string[]
    if (operation === undefined) {
      response = document.components.responses.MethodNotAllowed
      where = ['components', 'responses', 'MethodNotAllowed']
    } else {
      response = operation.responses[String(res.status)]
      where = ['paths', path, operationMethod, 'responses', String(res.status)]
    }
    if (response === undefined) return [`status ${res.status} is not documented`]
    if (typeof response.$ref === 'string') {
      const name = response.$ref.split('/').pop() as string
      response = document.components.responses[name] as Json
      where = ['components', 'responses', name]
    }
    const found: string[] = []
    for (const [name, header] of Object.entries((response.headers ?? {}) as Json)) {
      const value = res.headers[name.toLowerCase()]
      if (header.required === true && value === undefined) found.push(`header ${name} missing`)
      if (header.schema?.const !== undefined && value !== header.schema.const) {
        found.push(`header ${name} is ${value}, documented ${header.schema.const}`)
      }
    }
    if (method === 'head' || res.text === '') return found
    const content = response.content as Json | undefined
    const type = (res.headers['content-type'] ?? '').split(';')[0]?.trim() ?? ''
    if (content === undefined) return [...found, `a ${type} body where none is documented`]
    if (content[type] === undefined) return [...found, `content type ${type} is not documented`]
    if (type !== 'application/json') return found
    const validate = ajv.getSchema(pointer(...where, 'content', type, 'schema'))
    if (validate === undefined) return [...found, 'no schema']
    if (!validate(JSON.parse(res.text))) found.push(`body: ${ajv.errorsText(validate.errors)}`)
    return found
  }
  return { documentedPath, problems }
}

/** A request and the answer it got. */
export interface Answer {
  req: Req
  res: Res
}

/**
 * What is wrong in `answers` (every answer recorded on one build): each answer on a documented
 * path against its operation, and any answer but a 404 on a path under the key routes that the
 * document does not describe (the page and the document themselves aside).
 */
export function conformanceFailures(
  answers: readonly Answer[],
  checker = createConformanceChecker(),
): string[] {
  const line = ({ req, res }: Answer, problem: string): string =>
    `${req.method ?? 'GET'} ${req.path} → ${res.status}: ${problem}`
  // The page and the document are served under the same path, and are not key operations.
  const own = new RegExp(`^${KEYS_BASE}/(ui|openapi\\.json)(/|\\?|$)`)
  return answers.flatMap((answer) => {
    if (own.test(answer.req.path)) return []
    if (checker.documentedPath(answer.req.path) !== null) {
      return checker.problems(answer.req, answer.res).map((p) => line(answer, p))
    }
    return answer.res.status === 404 ? [] : [line(answer, 'path not documented')]
  })
}
