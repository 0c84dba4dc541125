/** Command-line flags shared by every section. */

/** `--quick`: a short run (< 2 minutes in all) for development and CI smoke checks. */
export const QUICK = process.argv.includes('--quick')

/** The value of `--name=value`, or `undefined`. */
export function option(name: string): string | undefined {
  const prefix = `--${name}=`
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length)
}

/** A positive integer `--name=N`, or `fallback`. */
export function intOption(name: string, fallback: number): number {
  const value = option(name)
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`)
  return n
}
