/** Problems with a tarball's file list; empty when it is publishable. */
export function checkPackContents(
  files: readonly string[],
  readFile: (path: string) => string,
  pkg: Record<string, unknown>,
): string[]
/** {@link checkPackContents} for files on disk under `dir`. */
export function checkPackDirectory(files: readonly string[], dir: string): string[]
