/**
 * An HTTP request carried as the JSON data of a `pushmesh.req` message
 * (docs/request-response.md). `body` is standard base64.
 */
export interface RpcRequest {
  v: 1;
  method: string;
  /** Path and query below the target service, starting with `/`. */
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** The answer, carried as the JSON data of a `pushmesh.res` message with `meta.re` = the request's message ID. */
export interface RpcResponse {
  v: 1;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Set when the destination node (not the service) produced the status: why. */
  error?: string;
}
