/** Counting header lines in Node's raw header list. Internal: not exported from the package. */

/** How many lines of header `name` (lower case) a raw header list holds. */
export function countHeaderLines(rawHeaders: readonly string[] | undefined, name: string): number {
  if (rawHeaders === undefined) return 0
  let count = 0
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const header = rawHeaders[i]
    if (header !== undefined && header.length === name.length && header.toLowerCase() === name) {
      count++
    }
  }
  return count
}
