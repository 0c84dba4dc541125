// The one check of the table, schema and function names the SQL stores splice into statements.
import { describe, expect, it } from 'vitest'
import { sqlIdentifier } from '../../adapters/stores/shared/sql-identifier.js'
import { AuthError } from '../../src/index.js'

const refusal = (value: unknown, max = 48): AuthError => {
  try {
    sqlIdentifier('PostgresLimitStore', 'table', value, max)
  } catch (error) {
    if (error instanceof AuthError) return error
    throw error
  }
  throw new Error(`accepted ${String(value)}`)
}

describe('sqlIdentifier', () => {
  it('quotes a valid name, reserved words included', () => {
    expect(sqlIdentifier('S', 'table', 'vydra_limits', 48)).toBe('"vydra_limits"')
    expect(sqlIdentifier('S', 'table', 'user', 48)).toBe('"user"')
    expect(sqlIdentifier('S', 'table', '_x9', 48)).toBe('"_x9"')
  })

  it('holds the length bound exactly', () => {
    expect(sqlIdentifier('S', 'table', 'a'.repeat(40), 40)).toBe(`"${'a'.repeat(40)}"`)
    expect(refusal('a'.repeat(41), 40).code).toBe('CONFIGURATION_ERROR')
    expect(sqlIdentifier('S', 'table', 'a'.repeat(48), 48)).toBe(`"${'a'.repeat(48)}"`)
    expect(refusal('a'.repeat(49)).code).toBe('CONFIGURATION_ERROR')
  })

  it('refuses what could break out of the quotes or is not a name', () => {
    for (const value of [
      'x"; DROP TABLE t; --',
      'Upper',
      '9lives',
      '',
      'a-b',
      'a b',
      'a.b',
      42,
      null,
    ]) {
      expect(refusal(value).code).toBe('CONFIGURATION_ERROR')
    }
  })

  it('names the store, the option and the rule', () => {
    expect(refusal('Bad').message).toBe(
      'PostgresLimitStore: table must match ^[a-z_][a-z0-9_]{0,47}$',
    )
    expect(refusal('Bad', 40).message).toBe(
      'PostgresLimitStore: table must match ^[a-z_][a-z0-9_]{0,39}$',
    )
  })
})
