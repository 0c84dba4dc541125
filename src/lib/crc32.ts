/** CRC-32 (IEEE 802.3, the zlib polynomial). Internal: not exported from the package. */

const TABLE = (() => {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c
  }
  return table
})()

/** The running state before any input; feed it to {@link crc32Step}, finish with {@link crc32Final}. */
export const CRC32_INITIAL = -1

/** The running state after one more byte (an ASCII char code). */
export function crc32Step(state: number, code: number): number {
  return (TABLE[(state ^ code) & 0xff] as number) ^ (state >>> 8)
}

/** The checksum of a running state. */
export function crc32Final(state: number): number {
  return (state ^ -1) >>> 0
}

/**
 * CRC-32 of the first `end` characters of `text`, which must be ASCII (the key grammar is checked
 * before this runs). Works on char codes so that no buffer is allocated on the hot path.
 */
export function crc32Ascii(text: string, end: number = text.length): number {
  let state = CRC32_INITIAL
  for (let i = 0; i < end; i++) state = crc32Step(state, text.charCodeAt(i))
  return crc32Final(state)
}
