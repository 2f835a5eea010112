/** A plain JSON form for deepEqual across decoders: bytes (any Uint8Array) as `hex:…`, undefined members dropped. */
export function comparable(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? `hex:${Buffer.from(v).toString('hex')}` : v)));
}
