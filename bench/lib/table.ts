/** Markdown output of a bench section. */

/** Prints a markdown table with a heading. */
export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly string[][],
): void {
  const lines = [
    `### ${title}`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
}

/** A section that cannot run here says why, instead of failing the whole bench. */
export function printUnavailable(title: string, why: string): void {
  process.stdout.write(`### ${title}\n\nnot available: ${why}\n\n`)
}

export function printNote(text: string): void {
  process.stdout.write(`${text}\n\n`)
}
