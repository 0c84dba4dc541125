/**
 * The limit-store subject of a client address for failed-authentication throttling: one subject
 * per IPv4 address, and one per IPv6 /64 (a single client commonly holds a whole /64, so
 * counting per IPv6 address would let it walk around the cap).
 * @module
 */

// Expands an IPv6 text form to its eight groups (no zone, no embedded IPv4); undefined if not one.
function ipv6Groups(address: string): string[] | undefined {
  const text = address.split('%', 1)[0] as string
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':')
  const tail = halves.length === 1 || halves[1] === '' ? [] : (halves[1] as string).split(':')
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const groups = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail]
  return groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group)) ? groups : undefined
}

/** `failed-auth:<address>`, or `failed-auth:<first four groups>::/64` for an IPv6 address. */
export function failedAuthSubject(address: string): string {
  if (address.includes(':')) {
    const groups = ipv6Groups(address)
    if (groups !== undefined) {
      const prefix = groups.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16))
      return `failed-auth:${prefix.join(':')}::/64`
    }
  }
  return `failed-auth:${address.slice(0, 64)}`
}
