/** Key ids, as the stores check them. Internal: not exported from the package. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** True for a UUID string, the form of every key id (a store refuses other ids up front). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value)
}
