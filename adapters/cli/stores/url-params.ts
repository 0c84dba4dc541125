/** The CLI's own query parameters of a store URL, taken off before the URL reaches a driver. */
import { CliError, EXIT } from '../errors.js'

/** The URL without the named parameters, and their values. */
export function takeParams(
  url: string,
  names: readonly string[],
): { rest: string; params: Record<string, string | undefined> } {
  const [head = '', query = ''] = splitOnce(url, '?')
  const search = new URLSearchParams(query)
  const params: Record<string, string | undefined> = {}
  for (const name of names) {
    params[name] = search.get(name) ?? undefined
    search.delete(name)
  }
  const left = search.toString()
  return { rest: left === '' ? head : `${head}?${left}`, params }
}

/** A table or schema name as the stores accept it (checked again by the store itself). */
export function checkIdentifier(name: string | undefined, what: string): string | undefined {
  if (name !== undefined && !/^[a-z_][a-z0-9_]{0,47}$/.test(name)) {
    throw new CliError(
      EXIT.usage,
      `The store URL's ${what} must be lower-case letters, digits and _ (at most 48)`,
      'BAD_STORE_URL',
    )
  }
  return name
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator)
  return at === -1 ? [text] : [text.slice(0, at), text.slice(at + 1)]
}
