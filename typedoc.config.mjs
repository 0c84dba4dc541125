// TypeDoc: the API reference in docs/api, one module per package entry point that exists.
import { existingEntries } from './scripts/entries.mjs'

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: '@vydra/auth',
  entryPoints: existingEntries().map((entry) => entry.source),
  out: 'docs/api',
  tsconfig: 'tsconfig.typedoc.json',
  readme: 'README.md',
  // The guides become pages of the reference site too.
  projectDocuments: ['docs/*.md'],
  highlightLanguages: [
    'bash',
    'console',
    'css',
    'html',
    'http',
    'javascript',
    'json',
    'jsonc',
    'json5',
    'yaml',
    'tsx',
    'typescript',
  ],
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true,
  includeVersion: true,
  sort: ['kind', 'alphabetical'],
  validation: { notExported: true, invalidLink: true, notDocumented: true },
  // Every export needs a summary; members of documented types may rely on their names.
  requiredToBeDocumented: [
    'Module',
    'Namespace',
    'Enum',
    'Variable',
    'Function',
    'Class',
    'Interface',
    'TypeAlias',
    'Method',
    'Accessor',
  ],
  treatWarningsAsErrors: true,
  githubPages: false,
  disableSources: true,
  hideGenerator: true,
}
