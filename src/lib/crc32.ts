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

/**
 * CRC-32 of the first `end` characters of `text`, which must be ASCII (the key grammar is checked
 * before this runs). Works on char codes so that no buffer is allocated on the hot path.
 */
export function crc32Ascii(text: string, end: number = text.length): number {
  let crc = -1
  for (let i = 0; i < end; i++) {
    crc = (TABLE[(crc ^ text.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8)
  }
  return (crc ^ -1) >>> 0
}
