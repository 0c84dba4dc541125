/** Small statistics and formatting helpers shared by every bench section. */

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Median and range of a list of per-round values. */
export interface Summary {
  median: number
  min: number
  max: number
}

export function summarize(values: readonly number[]): Summary {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) }
}

/** `1.23M`, `45.6k`, `789` */
export function formatRate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)}k`
  return value.toFixed(0)
}

export function formatRange(summary: Summary, format: (n: number) => string): string {
  return `${format(summary.min)}–${format(summary.max)}`
}

export function formatRatio(summary: Summary): string {
  return `${summary.median.toFixed(2)}× (${summary.min.toFixed(2)}–${summary.max.toFixed(2)})`
}

/** A nanosecond duration, e.g. `412 ns`, `3.10 µs`, `1.20 ms`. */
export function formatNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`
  return `${ns.toFixed(0)} ns`
}

export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : ''
  const abs = Math.abs(bytes)
  if (abs >= 1024 * 1024) return `${sign}${(abs / 1024 / 1024).toFixed(1)} MiB`
  if (abs >= 1024) return `${sign}${(abs / 1024).toFixed(1)} KiB`
  return `${sign}${abs} B`
}

/** `yes` / `NO` for a target check, so misses stand out. */
export function met(ok: boolean): string {
  return ok ? 'yes' : '**NO**'
}

/** Nearest-rank percentile (`p` in 0–1) of an ascending list; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))
  ] as number
}

/** `10³`, `10⁶` for powers of ten, else `12,345`. */
export function formatCount(n: number): string {
  const exponent = Math.log10(n)
  if (Number.isInteger(exponent) && exponent >= 2) {
    return `10${[...String(exponent)].map((d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)]).join('')}`
  }
  return n.toLocaleString('en')
}
