/**
 * The table, schema and function names the SQL stores splice into their statements. Names
 * cannot be bound as parameters, so they are held to a strict pattern at construction, and
 * quoted anyway so that reserved words work as names. Internal to the store adapters.
 * @module
 */
import { AuthError } from '../../../src/index.js'

const patterns = new Map<number, RegExp>()

/**
 * `value` quoted as a SQL identifier, or a `CONFIGURATION_ERROR` naming `store` and `option`
 * when it is not lower-case letters, digits and `_` (not starting with a digit), at most
 * `maxLength` characters. Each store picks `maxLength` so that its derived names (`<table>_…`)
 * stay within PostgreSQL's 63 bytes.
 */
export function sqlIdentifier(
  store: string,
  option: string,
  value: unknown,
  maxLength: number,
): string {
  let pattern = patterns.get(maxLength)
  if (pattern === undefined) {
    pattern = new RegExp(`^[a-z_][a-z0-9_]{0,${maxLength - 1}}$`)
    patterns.set(maxLength, pattern)
  }
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: `${store}: ${option} must match ${pattern.source}`,
    })
  }
  return `"${value}"`
}
