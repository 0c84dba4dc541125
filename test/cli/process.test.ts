/**
 * `vydra-auth` as a process: its exit codes reach the shell, and a store that never answers ends
 * the command with exit 3 within its timeout instead of hanging.
 */
import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cliProcess } from './run-cli.js'

const ENTRY = ['node', '--import', 'tsx', 'adapters/cli/index.ts']
let blackhole: Server
let port: number
const sockets = new Set<Socket>()

beforeAll(async () => {
  // Accepts connections and never says a word: a firewalled or hung server.
  blackhole = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve))
  port = (blackhole.address() as AddressInfo).port
})
afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise((resolve) => blackhole.close(resolve))
})

describe('vydra-auth as a process', () => {
  test('--help exits 0; a usage error exits 2', async () => {
    const help = await cliProcess([...ENTRY, '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Usage: vydra-auth')
    expect((await cliProcess([...ENTRY, 'keys', 'list'])).code).toBe(2)
  })

  test.each([
    ['postgres', (p: number) => `postgres://u@127.0.0.1:${p}/db`],
    ['redis', (p: number) => `redis://127.0.0.1:${p}`],
  ])('a %s server that never answers: exit 3 within the timeout', async (_name, url) => {
    const result = await cliProcess([...ENTRY, 'keys', 'list', '--user', 'u', '--timeout', '700'], {
      VYDRA_AUTH_STORE: url(port),
    })
    expect(result.code, result.stderr).toBe(3)
    expect(result.stderr).toMatch(/unavailable|did not answer/)
    // Node and tsx start in about a second; the command itself is bounded by 3 × 700 ms + 1 s.
    expect(result.ms).toBeLessThan(10_000)
  })

  test('a refused connection: exit 3, and doctor says so with a fix', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer()
      probe.listen(0, '127.0.0.1', () => {
        const free = (probe.address() as AddressInfo).port
        probe.close(() => resolve(free))
      })
    })
    const store = `postgres://u@127.0.0.1:${closed}/db`
    const list = await cliProcess([...ENTRY, 'keys', 'list', '--user', 'u', '--store', store])
    expect(list.code).toBe(3)
    const doctor = await cliProcess([...ENTRY, 'doctor', '--store', store, '--json'])
    expect(doctor.code).toBe(3)
    const report = JSON.parse(doctor.stdout) as {
      ok: boolean
      checks: { name: string; ok: boolean; fix?: string }[]
    }
    expect(report.ok).toBe(false)
    expect(report.checks[0]).toMatchObject({ name: 'connect', ok: false, fix: expect.any(String) })
    expect(doctor.stdout + doctor.stderr).not.toContain('ECONNREFUSED')
  })
})
