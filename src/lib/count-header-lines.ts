/** Counting header lines in Node's raw header list. Internal: not exported from the package. */

/** How many lines of header `name` (lower case) a raw header list holds. */
export function countHeaderLines(rawHeaders: readonly string[] | undefined, name: string): number {
  if (rawHeaders === undefined) return 0
  const canonical = canonicalOf(name)
  let count = 0
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const header = rawHeaders[i]
    // The two spellings clients send (`Authorization`, `authorization`) are compared whole,
    // which costs about a third of the per-character comparison; any other casing takes it.
    if (
      header !== undefined &&
      header.length === name.length &&
      (header === canonical || header === name || isNamed(header, name))
    ) {
      count++
    }
  }
  return count
}

// The usual spelling of a lower-case header name (`authorization` → `Authorization`,
// `x-hub-signature-256` → `X-Hub-Signature-256`), remembered for the last name asked: every
// request asks for the same one.
let lastName = ''
let lastCanonical = ''

function canonicalOf(name: string): string {
  if (name !== lastName) {
    lastCanonical = name.replace(/(^|-)([a-z])/g, (match) => match.toUpperCase())
    lastName = name
  }
  return lastCanonical
}

// A case-insensitive comparison without building a lower-case copy of `header`: this runs on
// every request, and lower-casing an `Authorization` name copied it each time. Only a letter
// of `name` matches its other case; any other character must be the same.
function isNamed(header: string, name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const expected = name.charCodeAt(i)
    const actual = header.charCodeAt(i)
    if (actual !== expected && (expected < 97 || expected > 122 || (actual | 0x20) !== expected)) {
      return false
    }
  }
  return true
}
