/** A raw HTTP/1.1 client over a socket, for requests `fetch` cannot make (duplicate or odd headers). */
import { connect } from 'node:net'

/** A response as seen on the wire. */
export interface RawResponse {
  status: number
  headers: Record<string, string>
  text: string
  /** How many status lines arrived: a second one would be a double reply. */
  statusLines: number
}

/**
 * Sends `head` (request line and header lines, without the final blank line) and an optional
 * body, with `Connection: close`, and reads the whole answer.
 */
export function rawRequest(url: string, lines: readonly string[], body = ''): Promise<RawResponse> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', (error) => (chunks.length > 0 ? finish() : reject(error)))
    socket.on('end', () => finish())
    socket.on('close', () => finish())
    let done = false
    const finish = (): void => {
      if (done) return
      done = true
      resolve(parse(Buffer.concat(chunks).toString('latin1')))
    }
    const head = [...lines, `Host: ${hostname}:${port}`, 'Connection: close']
    if (body.length > 0) head.push(`Content-Length: ${Buffer.byteLength(body)}`)
    socket.write(`${head.join('\r\n')}\r\n\r\n${body}`, 'latin1')
  })
}

function parse(raw: string): RawResponse {
  const split = raw.indexOf('\r\n\r\n')
  const head = split === -1 ? raw : raw.slice(0, split)
  const rest = split === -1 ? '' : raw.slice(split + 4)
  const [statusLine = '', ...headerLines] = head.split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  const length = headers['content-length']
  let text = length === undefined ? rest : rest.slice(0, Number(length))
  if (headers['transfer-encoding'] === 'chunked') text = dechunk(rest)
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    text: Buffer.from(text, 'latin1').toString('utf8'),
    statusLines: (raw.match(/(^|\r\n)HTTP\/1\.1 \d{3}/g) ?? []).length,
  }
}

function dechunk(body: string): string {
  let out = ''
  let rest = body
  for (;;) {
    const eol = rest.indexOf('\r\n')
    if (eol === -1) return out
    const size = Number.parseInt(rest.slice(0, eol), 16)
    if (!(size > 0)) return out
    out += rest.slice(eol + 2, eol + 2 + size)
    rest = rest.slice(eol + 2 + size + 2)
  }
}
