/**
 * Synchronous SHA-256 and HMAC-SHA256 in plain JavaScript (FIPS 180-4, RFC 2104), for runtimes
 * without `node:crypto`. WebCrypto's digest is asynchronous, and an `await` on the cache-hit path
 * would cost a tick per request and break its non-async invariant (ARCHITECTURE.md), so the hash
 * stays synchronous here. Tested against node:crypto (test/sha256.test.ts); measured in
 * docs/runtimes.md. Internal.
 * @module
 */

// prettier-ignore
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
])
// prettier-ignore
const INITIAL = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
])

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
const encoder = new TextEncoder()
// Scratch space reused by every call: the functions below never yield, so no call sees another's.
const W = new Int32Array(64)
const state = new Int32Array(8)
let scratch = new Uint8Array(256)

// One 64-byte block of `bytes` at `offset` into `h`.
function compress(h: Int32Array, bytes: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4
    W[i] =
      ((bytes[j] as number) << 24) |
      ((bytes[j + 1] as number) << 16) |
      ((bytes[j + 2] as number) << 8) |
      (bytes[j + 3] as number)
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15] as number
    const w2 = W[i - 2] as number
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3)
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10)
    W[i] = ((W[i - 16] as number) + s0 + (W[i - 7] as number) + s1) | 0
  }
  let a = h[0] as number
  let b = h[1] as number
  let c = h[2] as number
  let d = h[3] as number
  let e = h[4] as number
  let f = h[5] as number
  let g = h[6] as number
  let k = h[7] as number
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    const ch = (e & f) ^ (~e & g)
    const t1 = (k + S1 + ch + (K[i] as number) + (W[i] as number)) | 0
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const maj = (a & b) ^ (a & c) ^ (b & c)
    const t2 = (S0 + maj) | 0
    k = g
    g = f
    f = e
    e = (d + t1) | 0
    d = c
    c = b
    b = a
    a = (t1 + t2) | 0
  }
  h[0] = ((h[0] as number) + a) | 0
  h[1] = ((h[1] as number) + b) | 0
  h[2] = ((h[2] as number) + c) | 0
  h[3] = ((h[3] as number) + d) | 0
  h[4] = ((h[4] as number) + e) | 0
  h[5] = ((h[5] as number) + f) | 0
  h[6] = ((h[6] as number) + g) | 0
  h[7] = ((h[7] as number) + k) | 0
}

// Hashes `length` bytes of `scratch` (already holding the message) into `h`, which holds the
// state after `prefixBytes` bytes (0, or one HMAC pad block); pads in place.
function finish(h: Int32Array, length: number, prefixBytes: number): void {
  const total = length + prefixBytes
  const padded = (((length + 8) >> 6) + 1) << 6
  ensure(padded)
  scratch[length] = 0x80
  scratch.fill(0, length + 1, padded)
  const bits = total * 8
  // Message lengths here stay far below 2^32 bytes: the high word holds only the top bits.
  const high = Math.floor(bits / 0x100000000)
  const at = padded - 8
  scratch[at] = high >>> 24
  scratch[at + 1] = high >>> 16
  scratch[at + 2] = high >>> 8
  scratch[at + 3] = high
  scratch[at + 4] = bits >>> 24
  scratch[at + 5] = bits >>> 16
  scratch[at + 6] = bits >>> 8
  scratch[at + 7] = bits
  for (let offset = 0; offset < padded; offset += 64) compress(h, scratch, offset)
}

function ensure(size: number): void {
  if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2))
}

// Writes `text` as UTF-8 into `scratch`; returns its length.
function load(text: string): number {
  ensure(text.length * 3 + 72)
  return encoder.encodeInto(text, scratch).written
}

function hex(h: Int32Array): string {
  let out = ''
  for (let i = 0; i < 8; i++) {
    const word = h[i] as number
    out +=
      (HEX[(word >>> 24) & 255] as string) +
      (HEX[(word >>> 16) & 255] as string) +
      (HEX[(word >>> 8) & 255] as string) +
      (HEX[word & 255] as string)
  }
  return out
}

/** SHA-256 of `text` (UTF-8), as lower-case hex. */
export function sha256Hex(text: string): string {
  state.set(INITIAL)
  finish(state, load(text), 0)
  return hex(state)
}

/**
 * An HMAC-SHA256 of strings (UTF-8) keyed with `key`, as lower-case hex. The pad blocks are
 * hashed once, here; each call then costs the message's blocks plus one.
 */
export function createHmacSha256(key: Uint8Array): (text: string) => string {
  let block: Uint8Array = new Uint8Array(64)
  if (key.length > 64) {
    state.set(INITIAL)
    ensure(key.length + 72)
    scratch.set(key)
    finish(state, key.length, 0)
    block = digestBytes(state)
  } else {
    block.set(key)
  }
  const pad = new Uint8Array(64)
  const inner = new Int32Array(INITIAL)
  const outer = new Int32Array(INITIAL)
  for (let i = 0; i < 64; i++) pad[i] = (block[i] as number) ^ 0x36
  compress(inner, pad, 0)
  for (let i = 0; i < 64; i++) pad[i] = (block[i] as number) ^ 0x5c
  compress(outer, pad, 0)
  block.fill(0)
  pad.fill(0)
  return (text) => {
    state.set(inner)
    finish(state, load(text), 64)
    // The outer hash of the 32-byte inner digest.
    for (let i = 0; i < 8; i++) {
      const word = state[i] as number
      scratch[i * 4] = word >>> 24
      scratch[i * 4 + 1] = word >>> 16
      scratch[i * 4 + 2] = word >>> 8
      scratch[i * 4 + 3] = word
    }
    state.set(outer)
    finish(state, 32, 64)
    return hex(state)
  }
}

function digestBytes(h: Int32Array): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 0; i < 8; i++) {
    const word = h[i] as number
    out[i * 4] = word >>> 24
    out[i * 4 + 1] = word >>> 16
    out[i * 4 + 2] = word >>> 8
    out[i * 4 + 3] = word
  }
  return out
}
