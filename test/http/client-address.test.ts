/** The one client-address rule of every adapter (src/http/client-address.ts). */
import { describe, expect, test } from 'vitest'
import { forwardedClientAddress } from '../../src/http/index.js'

describe('forwardedClientAddress', () => {
  test.each([
    // [socket, X-Forwarded-For, trustProxy, expected]
    ['10.0.0.2', undefined, 0, '10.0.0.2'],
    ['10.0.0.2', '203.0.113.7', 0, '10.0.0.2'],
    ['10.0.0.2', '198.51.100.9, 203.0.113.7', 1, '203.0.113.7'],
    ['10.0.0.2', '198.51.100.9, 203.0.113.7', 2, '198.51.100.9'],
    ['10.0.0.2', '198.51.100.9,203.0.113.7', 3, '198.51.100.9'],
    ['10.0.0.2', ['198.51.100.9', '203.0.113.7'], 1, '203.0.113.7'],
    ['10.0.0.2', undefined, 1, '10.0.0.2'],
    ['10.0.0.2', '', 1, '10.0.0.2'],
    ['10.0.0.2', ' , ', 1, '10.0.0.2'],
    ['10.0.0.2', 'unknown', 1, '10.0.0.2'],
    ['10.0.0.2', '203.0.113.7, <script>', 1, '10.0.0.2'],
    ['::ffff:192.0.2.1', undefined, 0, '192.0.2.1'],
    ['10.0.0.2', '::FFFF:192.0.2.1', 1, '192.0.2.1'],
    ['10.0.0.2', '2001:DB8::1', 1, '2001:db8::1'],
    [undefined, undefined, 0, undefined],
    ['not an address', undefined, 0, undefined],
  ] as const)('%j with X-Forwarded-For %j behind %d proxies is %j', (socket, xff, n, expected) => {
    expect(forwardedClientAddress(socket, xff, n)).toBe(expected)
  })
})
