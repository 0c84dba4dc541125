/**
 * Disturbing the CPU's caches between two calls as a server's own work does between two
 * requests of one key (bench/limits-in-process.ts, bench/ab/limit-floor.ts): writes to a 64 MiB
 * buffer, one per 64-byte line, continuing where the last call stopped.
 */

/** A function writing `bytes` of the buffer per call (nothing when `bytes` is 0). */
export function polluter(bytes: number): () => void {
  const buffer = new Int32Array(1 << 24)
  const mask = buffer.length - 1
  const words = bytes / 4
  let at = 0
  return () => {
    // One write per 64-byte line.
    for (let i = 0; i < words; i += 16) buffer[(at + i) & mask] = i
    at = (at + words) & mask
  }
}
