/** Web origins. Internal: not exported from the package. */

/** True for an http(s) origin written exactly as `URL#origin` writes it (`https://app.example`). */
export function isOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false
  const url = new URL(value)
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value
}
