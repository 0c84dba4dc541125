/**
 * Reading a request body from a Node stream with a size cap.
 * @module
 */

/** The part of a Node readable stream {@link readBody} uses. */
export interface BodySource {
  /** True once the stream has been read to its end (by someone else, for a body we never saw). */
  readableEnded?: boolean
  headers?: Readonly<Record<string, string | string[] | undefined>>
  /** Subscribes to the chunks of the body. */
  on(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown
  /** Subscribes to the end of the stream. */
  on(event: 'end', listener: () => void): unknown
  /** Subscribes to stream errors. */
  on(event: 'error', listener: (error: Error) => void): unknown
}

/**
 * Reads a whole body, at most `limit` bytes. Resolves `null` as soon as it is known to be longer
 * (from `Content-Length`, or while streaming); the rest is then drained and dropped, not buffered,
 * so the connection stays usable and memory stays bounded.
 *
 * @example
 * ```ts
 * const raw = await readBody(req, MAX_BODY_BYTES) // req: an http.IncomingMessage
 * if (raw === null) return reply(413)
 * const body = JSON.parse(new TextDecoder().decode(raw))
 * ```
 */
export function readBody(source: BodySource, limit: number): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    // Already consumed elsewhere: waiting for 'end' would wait forever.
    if (source.readableEnded === true) return resolve(new Uint8Array())
    const declared = Number(source.headers?.['content-length'])
    if (Number.isFinite(declared) && declared > limit) {
      source.on('data', () => {})
      source.on('error', () => {})
      resolve(null)
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let overflow = false
    source.on('data', (chunk) => {
      if (overflow) return
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk)
      size += buffer.length
      if (size > limit) {
        overflow = true
        chunks.length = 0
        resolve(null)
        return
      }
      chunks.push(buffer)
    })
    source.on('end', () => {
      if (!overflow) resolve(new Uint8Array(Buffer.concat(chunks)))
    })
    source.on('error', (error) => {
      if (!overflow) reject(error)
    })
  })
}
