/**
 * Reading a limit outcome a server computed (Redis script, PostgreSQL function) as JSON: an empty
 * list may come back as `{}` (Lua's cjson cannot tell an empty array from an empty object).
 * @module
 */
import type { LimitOutcome } from '../../../src/index.js'

/** The outcome of a JSON answer; throws on anything that is not one (the service's outage path). */
export function parseLimitOutcome(json: unknown): LimitOutcome {
  const value: unknown = typeof json === 'string' ? JSON.parse(json) : json
  if (typeof value !== 'object' || value === null) throw new Error('limit outcome is not an object')
  const outcome = value as LimitOutcome & { rate: unknown }
  if (typeof outcome.allowed !== 'boolean') throw new Error('limit outcome has no allowed flag')
  // The parsed value is this call's own: fixed in place (`{}` for an empty list), not copied.
  if (!Array.isArray(outcome.rate)) outcome.rate = []
  return outcome
}
