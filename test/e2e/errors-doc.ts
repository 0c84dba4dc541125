/**
 * The tables of docs/errors.md, parsed, so that tests can hold them against real responses.
 * A row the parser cannot read throws: a doc that drifts out of the expected shape fails loudly
 * instead of checking nothing.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { AuthErrorCode } from '../../src/index.js'
import type { Case } from './cases.js'
import type { Fixture } from './fixture.js'

const DOC = resolve(import.meta.dirname, '../../docs/errors.md')

/** The cells of every row of the first table under the `## heading` of docs/errors.md. */
export function tableUnder(heading: string, text = readFileSync(DOC, 'utf8')): string[][] {
  const lines = text.split('\n')
  const at = lines.indexOf(`## ${heading}`)
  if (at === -1) throw new Error(`docs/errors.md has no "## ${heading}"`)
  const rows: string[][] = []
  let inTable = false
  for (const line of lines.slice(at + 1)) {
    if (line.startsWith('## ')) break
    if (line.startsWith('|')) {
      inTable = true
      rows.push(
        line
          .slice(1, line.endsWith('|') ? -1 : undefined)
          .split('|')
          .map((cell) => cell.trim()),
      )
    } else if (inTable) break
  }
  if (rows.length < 3) throw new Error(`no table under "## ${heading}"`)
  const [header, rule, ...body] = rows
  if (!(rule ?? []).every((cell) => /^:?-+:?$/.test(cell))) throw new Error('not a table')
  for (const row of body) {
    if (row.length !== header?.length) throw new Error(`row of ${row.length} cells: ${row[0]}`)
  }
  return body
}

const codeSpans = (cell: string): string[] =>
  [...cell.matchAll(/`([^`]*)`/g)].map((m) => m[1] ?? '')
const only = (cell: string): string => {
  const spans = codeSpans(cell)
  if (spans.length !== 1) throw new Error(`expected one code span in ${cell}`)
  return spans[0] ?? ''
}

/** One row of the "Which challenge, case by case" table, as written. */
export interface DocRow {
  name: string
  method: string
  path: string
  /** Header lines, placeholders still in. */
  headers: [string, string][]
  status: number
  code: AuthErrorCode
  /** `null` when the row says there is none. */
  challenge: string | null
}

/** The rows of "Which challenge, case by case". */
export function challengeRows(text?: string): DocRow[] {
  return tableUnder('Which challenge, case by case', text).map(
    ([name = '', request = '', status = '', code = '', challenge = '']) => {
      const [line = '', ...headerLines] = codeSpans(request)
      const [method = '', path = '', ...rest] = line.split(' ')
      if (!/^[A-Z]+$/.test(method) || !path.startsWith('/') || rest.length > 0) {
        throw new Error(`${name}: the request cell must start with \`METHOD /path\``)
      }
      const headers = headerLines.map((h): [string, string] => {
        const colon = h.indexOf(': ')
        if (colon <= 0) throw new Error(`${name}: header line without ": " in ${h}`)
        return [h.slice(0, colon), h.slice(colon + 2)]
      })
      if (!/^\d{3}$/.test(status)) throw new Error(`${name}: status ${status}`)
      return {
        name,
        method,
        path,
        headers,
        status: Number(status),
        code: only(code) as AuthErrorCode,
        challenge: challenge === 'none' ? null : only(challenge),
      }
    },
  )
}

/** Placeholders of the case table and the fixture key each stands for. */
const PLACEHOLDERS: Record<string, keyof Fixture['keys']> = {
  '<key>': 'K',
  '<jobs:* key>': 'jobsAll',
  '<unknown key>': 'unknown',
  '<revoked key>': 'revoked',
  '<expired key>': 'expired',
  '<test key>': 'testEnv',
}

/** Fills in placeholders and `\t`; any other `<…>` is an error in the doc. */
export function fill(value: string, f: Fixture): string {
  const filled = value
    .replace(/<[^<>]*>/g, (placeholder) => {
      const key = PLACEHOLDERS[placeholder]
      if (key === undefined) throw new Error(`unknown placeholder ${placeholder}`)
      return f.keys[key]
    })
    .replaceAll('\\t', '\t')
  return filled
}

/** The case table as golden-table cases, sent over a raw socket exactly as written. */
export function docCases(text?: string): Case[] {
  return challengeRows(text).map((row) => ({
    id: 'DOC',
    name: row.name,
    req: (f) => ({
      method: row.method,
      path: row.path,
      raw: true,
      headers: row.headers.map(([n, v]): [string, string] => [n, fill(v, f)]),
    }),
    expect: { status: row.status, code: row.code, challenge: row.challenge },
  }))
}
