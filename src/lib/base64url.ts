/**
 * base64url of short ASCII text with the web's `btoa`/`atob` (every runtime has them; `Buffer`
 * is Node's). Internal.
 * @module
 */

/** base64url, unpadded, of an ASCII string. */
export function encodeBase64Url(ascii: string): string {
  return btoa(ascii).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** The text a base64url string encodes (one character per byte), or `null` when it is not one. */
export function decodeBase64Url(encoded: string): string | null {
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) return null
  try {
    return atob(encoded.replace(/-/g, '+').replace(/_/g, '/'))
  } catch {
    // A length no base64 text has.
    return null
  }
}
