#!/usr/bin/env node
// Public-API report: one API Extractor report per package entry point, committed in api/.
//   node scripts/api-report.mjs            check the built .d.ts against api/*.api.md (fails on any change)
//   node scripts/api-report.mjs --update   rewrite api/*.api.md on purpose (npm run api:update)
//   --dist <dir>                           where the built package is (default: dist)
// Run after a build. Every entry of package.json `exports` must have its .d.ts in the build.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor'
import { packageEntries, root } from './entries.mjs'

const args = process.argv.slice(2)
const update = args.includes('--update')
const distArg = args.indexOf('--dist')
const dist = resolve(root, distArg >= 0 ? args[distArg + 1] : 'dist')
const reportFolder = join(root, 'api')
const tempFolder = join(root, '.tmp', `api-report-${process.pid}`)
mkdirSync(reportFolder, { recursive: true })
mkdirSync(tempFolder, { recursive: true })

const failures = []
const entries = packageEntries()
for (const entry of entries) {
  const dts = join(dist, `${entry.name}.d.ts`)
  if (!existsSync(dts)) {
    failures.push(`${entry.specifier}: ${dts} is missing (is the entry point built?)`)
    continue
  }
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: root,
      mainEntryPointFilePath: dts,
      bundledPackages: [],
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2023'],
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            types: ['node'],
            strict: true,
            skipLibCheck: true,
          },
          files: [dts],
        },
      },
      apiReport: {
        enabled: true,
        reportFileName: entry.name,
        reportFolder,
        reportTempFolder: tempFolder,
        includeForgottenExports: false,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        extractorMessageReporting: {
          default: { logLevel: 'warning' },
          // One package, no release stages: every export is public.
          'ae-missing-release-tag': { logLevel: 'none' },
          // Reported in the file instead, so a new leak shows up as a report change.
          'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
          'ae-internal-missing-underscore': { logLevel: 'none' },
          // Documentation is typedoc's job (npm run docs validates summaries and links).
          'ae-undocumented': { logLevel: 'none', addToApiReportFile: false },
          'ae-unresolved-link': { logLevel: 'none', addToApiReportFile: false },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: join(root, 'api-extractor.json'),
    packageJsonFullPath: join(root, 'package.json'),
  })
  const result = Extractor.invoke(config, { localBuild: update, showVerboseMessages: false })
  if (!result.succeeded || (!update && result.apiReportChanged)) {
    failures.push(
      `${entry.specifier}: ${result.apiReportChanged ? 'public API changed' : 'API Extractor failed'} ` +
        `(${result.errorCount} errors, ${result.warningCount} warnings)`,
    )
  }
}

// A report whose entry point left package.json is stale.
const known = new Set(entries.map((entry) => `${entry.name}.api.md`))
for (const file of readdirSync(reportFolder)) {
  if (file.endsWith('.api.md') && !known.has(file)) {
    if (update) rmSync(join(reportFolder, file))
    else failures.push(`api/${file}: no such entry point in package.json exports`)
  }
}
rmSync(tempFolder, { recursive: true, force: true })

if (failures.length > 0) {
  console.error(`\nPublic-API report check failed:\n  ${failures.join('\n  ')}`)
  if (!update) {
    console.error(
      'If the change is intended, run `npm run api:update` and commit api/*.api.md ' +
        '(and note it in CHANGELOG.md).',
    )
  }
  process.exit(1)
}
console.log(
  `Public-API report ${update ? 'updated' : 'unchanged'}: ${entries.length} entry points.`,
)
