// src/signed-config/channel.ts
/** A pipe that carries signed configuration (compact JWS strings). Untrusted: receivers verify everything. */
export interface ConfigChannel {
  readonly name: string;
  /** Publishes one signed config (compact JWS). Resolves when the backend accepted it. */
  publish(jws: string): Promise<void>;
  /** Calls onConfig for every signed config seen on the channel, including the retained latest one per (namespace, name) for late joiners, until signal aborts. */
  subscribe(onConfig: (jws: string) => void, signal: AbortSignal): Promise<void>;
}
