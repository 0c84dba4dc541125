/** Key ids. Internal to the package; stores import it through the adapter kit. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** True for a UUID string (any version), the form of every key id. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value)
}
