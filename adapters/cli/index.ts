#!/usr/bin/env node
/**
 * The `vydra-auth` executable: runs the command line and exits with its code.
 * @module
 */
import { run } from './main.js'

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
})
// Exit once the output is flushed: a driver's lingering socket must not keep the command alive.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)))
