/** A RegExp for a glob of the StrykerJS mutate list (`*` within a segment, `**` across). */
export function globToRegExp(glob: string): RegExp
/** The files among `changed` that the mutate globs select (`!` globs remove). */
export function selectMutated(changed: readonly string[], mutate: readonly string[]): string[]
