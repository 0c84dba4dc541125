/** One public entry point of the package. */
export interface PackageEntry {
  /** Build name: `index`, `express`, … (`dist/<name>.js`). */
  name: string
  /** Key in package.json `exports`: `.`, `./express`, … */
  subpath: string
  /** What users import: `@vydra/auth`, `@vydra/auth/express`, … */
  specifier: string
  /** Source file it is built from. */
  source: string
  /** Whether `exports` offers it to `require` (a CommonJS build); false for an ESM-only entry. */
  cjs: boolean
}
/** The repository root. */
export const root: string
/** Every entry point of package.json `exports`. */
export function packageEntries(): PackageEntry[]
/** Entry points whose source exists. */
export function existingEntries(): PackageEntry[]
