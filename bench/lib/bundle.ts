/**
 * How the bench bundles what it measures, as the package is built: esbuild, ESM for Node 20,
 * packages left external (resolved from the checkout's node_modules), `.mjs` files, shared
 * modules split into chunks so that several entries of one build share one copy of each.
 * Used for the sections (bench/index.ts) and for the checkouts of the A/B tools
 * (bench/ab/checkout.ts).
 */
import type { BuildOptions } from 'esbuild'

/** The options every bench build shares; a build adds its `entryPoints` and `outdir`. */
export const BUNDLE_OPTIONS = {
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  splitting: true,
  target: 'node20',
  packages: 'external',
  logLevel: 'error',
} as const satisfies BuildOptions
