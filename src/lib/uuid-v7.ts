/** Time-ordered ids (UUID version 7, RFC 9562) for audit records. Internal to the package. */

let lastMs = -1
let counter = 0

const hex = (value: number, digits: number): string => value.toString(16).padStart(digits, '0')

/**
 * A UUID version 7 for the time `ms`: 48 bits of milliseconds, then a 12-bit counter (method 1
 * of RFC 9562, section 6.2) and 62 random bits. Monotonic within the process: ids of one
 * millisecond count up, and a clock that steps back keeps the last time, so a later call never
 * sorts before an earlier one.
 */
export function uuidV7(ms: number): string {
  let time = Number.isFinite(ms) && ms >= 0 ? Math.floor(ms) : 0
  if (time <= lastMs) {
    time = lastMs
    counter++
    // The counter overflowed within one millisecond: borrow the next one.
    if (counter > 0xfff) {
      time = ++lastMs
      counter = 0
    }
  } else {
    counter = 0
  }
  lastMs = time
  const random = new Uint8Array(8)
  // WebCrypto: on every runtime, no node:crypto import.
  crypto.getRandomValues(random)
  const t = hex(Math.min(time, 0xffffffffffff), 12)
  const variant = hex(((random[0] as number) & 0x3f) | 0x80, 2)
  const rest = [...random.subarray(1)].map((b) => hex(b, 2)).join('')
  return `${t.slice(0, 8)}-${t.slice(8)}-7${hex(counter, 3)}-${variant}${rest.slice(0, 2)}-${rest.slice(2)}`
}
