/**
 * docs/errors.md against the library: the "Every code" table against the core's responses, and
 * the parser of the case table (whose rows the e2e suite sends to every adapter) against drift.
 */
import { describe, expect, it } from 'vitest'
import { AUTH_ERROR_STATUS, AuthError, type AuthErrorCode } from '../../src/index.js'
import { challengeRows, docCases, tableUnder } from './errors-doc.js'

describe('docs/errors.md', () => {
  it('"Every code" lists every code once, with its real status and challenge', () => {
    const rows = tableUnder('Every code')
    const codes = rows.map(([code = '']) => code.replaceAll('`', ''))
    expect([...codes].sort()).toEqual(Object.keys(AUTH_ERROR_STATUS).sort())
    for (const [cell = '', status = '', , challenge = ''] of rows) {
      const code = cell.replaceAll('`', '') as AuthErrorCode
      const response = new AuthError(code).toResponse()
      expect([code, Number(status)]).toEqual([code, response.status])
      const header = response.headers['www-authenticate']
      if (challenge.startsWith('none')) expect([code, header]).toEqual([code, undefined])
      if (challenge === '`Bearer realm`') {
        expect([code, header]).toEqual([code, 'Bearer realm="vydra"'])
      }
    }
  })

  it('the case table covers every case of issue 18 and each challenge family', () => {
    const rows = challengeRows()
    expect(rows.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'no token after `Bearer`',
        'two `Authorization` lines',
        'extra parts',
        'tab separator',
        'comma-joined credentials',
        'one-word credential',
        'other scheme',
      ]),
    )
    const challenges = new Set(rows.map((r) => r.challenge?.replace(/, scope=.*$/, '')))
    expect([...challenges].sort()).toEqual(
      [
        'Bearer realm="vydra"',
        'Bearer realm="vydra", error="insufficient_scope"',
        'Bearer realm="vydra", error="invalid_request"',
        'Bearer realm="vydra", error="invalid_token"',
      ].sort(),
    )
    expect(docCases()).toHaveLength(rows.length)
  })

  it('the parser refuses a table it cannot read instead of checking nothing', () => {
    const table = (row: string): string =>
      [
        '## Which challenge, case by case',
        '',
        '| case | request | status | code | `WWW-Authenticate` | the client should |',
        '|---|---|---|---|---|---|',
        row,
        '',
      ].join('\n')
    const good = '| x | `GET /a` `Authorization: Bearer <key>` | 401 | `KEY_NOT_FOUND` | none | y |'
    expect(challengeRows(table(good))).toEqual([
      {
        name: 'x',
        method: 'GET',
        path: '/a',
        headers: [['Authorization', 'Bearer <key>']],
        status: 401,
        code: 'KEY_NOT_FOUND',
        challenge: null,
      },
    ])
    expect(() => challengeRows('# nothing here')).toThrow(/no "## Which challenge/)
    expect(() => challengeRows(table('| x | `/a` | 401 | `A` | none | y |'))).toThrow(/METHOD/)
    expect(() => challengeRows(table('| x | `GET /a` | 4O1 | `A` | none | y |'))).toThrow(/status/)
    expect(() => challengeRows(table('| x | `GET /a` | 401 | `A` | none |'))).toThrow(/cells/)
    const [unknown] = docCases(
      table('| x | `GET /a` `Authorization: Bearer <nope>` | 401 | `A` | none | y |'),
    )
    expect(() => unknown?.req({ keys: {} } as never)).toThrow(/unknown placeholder <nope>/)
  })
})
