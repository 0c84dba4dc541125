/**
 * The OpenAPI document against real answers: the whole end-to-end suite runs on Express with
 * every answer of the key routes recorded, then each one is checked against the document
 * (status listed for its operation, body valid against the schema, code in the status's enum,
 * required headers present).
 */
import { Ajv2020 } from 'ajv8/dist/2020.js'
import formats from 'ajv-formats'
import { describe, expect, test } from 'vitest'
import { apiKeyRoutesOpenApi } from '../../src/index.js'
import type { Req } from './cases.js'
import { recordResponses, type Res } from './http.js'
import { describeE2e } from './suite.js'

const BASE = '/api/v1/api-keys'
const recorded: { req: Req; res: Res }[] = []
recordResponses((req, res) => {
  if (req.path.startsWith(BASE)) recorded.push({ req, res })
})

describeE2e('express')

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- walking a JSON document
const document = apiKeyRoutesOpenApi() as unknown as Json
const DOC_ID = 'https://vydra.invalid/openapi.json'
const ajv = new Ajv2020({ strict: false, allErrors: true })
formats.default(ajv)
ajv.addSchema({ $id: DOC_ID, ...document })

const pointer = (...parts: string[]): string =>
  `${DOC_ID}#/${parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`

/** The documented path a request addresses, or null for a path the routes do not serve. */
function documentedPath(path: string): string | null {
  const bare = path.split('?')[0] ?? ''
  if (bare === BASE || bare === `${BASE}/`) return BASE
  const rest = bare.slice(BASE.length + 1)
  return bare.startsWith(`${BASE}/`) && !rest.includes('/') ? `${BASE}/{id}` : null
}

/** What is wrong with one answer, or nothing. */
function problems(req: Req, res: Res): string[] {
  const method = (req.method ?? 'GET').toLowerCase()
  const path = documentedPath(req.path)
  if (path === null) return []
  const operation = (document.paths[path] as Json)[method === 'head' ? 'get' : method]
  let response: Json | undefined
  let where: string[]
  if (operation === undefined) {
    response = document.components.responses.MethodNotAllowed
    where = ['components', 'responses', 'MethodNotAllowed']
  } else {
    response = operation.responses[String(res.status)]
    where = ['paths', path, method === 'head' ? 'get' : method, 'responses', String(res.status)]
  }
  if (response === undefined) return [`status ${res.status} is not documented`]
  const found: string[] = []
  for (const [name, header] of Object.entries((response.headers ?? {}) as Json)) {
    const value = res.headers[name.toLowerCase()]
    if (header.required === true && value === undefined) found.push(`header ${name} missing`)
    if (header.schema?.const !== undefined && value !== header.schema.const) {
      found.push(`header ${name} is ${value}, documented ${header.schema.const}`)
    }
  }
  if (method === 'head' || res.text === '') return found
  const validate = ajv.getSchema(pointer(...where, 'content', 'application/json', 'schema'))
  if (validate === undefined) return [...found, 'no schema']
  if (!validate(JSON.parse(res.text))) {
    found.push(`body: ${ajv.errorsText(validate.errors)}`)
  }
  return found
}

describe('OpenAPI conformance of the key routes (express)', () => {
  test('every answer of the key routes in the e2e suite matches the document', () => {
    const checked = recorded.filter(({ req }) => documentedPath(req.path) !== null)
    const failures = checked.flatMap(({ req, res }) =>
      problems(req, res).map((p) => `${req.method ?? 'GET'} ${req.path} → ${res.status}: ${p}`),
    )
    expect(failures).toEqual([])
    // The suite must have exercised every documented status of every operation but 503 on
    // the key routes (the store outage cases use another route), and a 405.
    const statuses = new Set(checked.map(({ req, res }) => `${req.method ?? 'GET'} ${res.status}`))
    for (const expected of [
      'POST 201',
      'GET 200',
      'DELETE 200',
      'POST 400',
      'POST 401',
      'POST 403',
      'POST 409',
      'POST 413',
      'POST 415',
      'GET 401',
      'GET 403',
      'DELETE 401',
      'DELETE 404',
    ]) {
      expect(statuses, expected).toContain(expected)
    }
    expect(checked.length).toBeGreaterThan(50)
  })
})
