/** Command-line flags shared by every section. */

/** `--quick`: a short run (< 2 minutes in all) for development and CI smoke checks. */
export const QUICK = process.argv.includes('--quick')
