/** Header values. Internal: not exported from the package. */

/**
 * The one value of a header that must have one: a string as is; a list only when it holds a
 * single value. Several values are as good as none (ambiguous), so they give `undefined`.
 */
export function singleHeaderValue(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined
  return value
}
