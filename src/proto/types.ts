/**
 * TypeScript shapes of the protobuf messages pushmesh speaks (camelCase
 * field names). Field numbers and meanings: docs/wire-format.md.
 */

/** A JSON value (what google.protobuf.Struct/Value hold). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** google.protobuf.Any: a packed message and its type URL. */
export interface Any {
  typeUrl: string;
  value: Uint8Array;
}

/** google.rpc.Status. */
export interface Status {
  /** google.rpc.Code (gRPC status code); 0 is OK. */
  code: number;
  message: string;
  details: Any[];
}

/** envoy.config.core.v3.Node (the fields pushmesh declares). */
export interface Node {
  id: string;
  cluster: string;
  /** google.protobuf.Struct as a JSON object; undefined when absent. */
  metadata?: JsonObject | undefined;
  userAgentName: string;
  /** The `user_agent_version` member of the `user_agent_version_type` oneof. */
  userAgentVersion?: string | undefined;
  clientFeatures: string[];
}

/** envoy.config.core.v3.ControlPlane. */
export interface ControlPlane {
  identifier: string;
}

/** envoy.service.discovery.v3.DiscoveryRequest, plus pushmesh's field 1000. */
export interface DiscoveryRequest {
  versionInfo: string;
  node?: Node | undefined;
  resourceNames: string[];
  typeUrl: string;
  responseNonce: string;
  /** Set in a NACK only. */
  errorDetail?: Status | undefined;
  /** pushmesh extension (field 1000): resources from client to server. */
  pushmeshResources: Any[];
}

/**
 * pushmesh.v1.RequestAnswer: the server's answer to one of the client's
 * requests of messages, carried in a response of messages
 * (DiscoveryResponse field 1000, negotiated; docs/transports.md).
 */
export interface RequestAnswer {
  /** 1 for the stream's first request that carried messages, 2 for the second, … (a safe integer). */
  request: number;
  /** Empty: every message accepted; otherwise one status per message, in order. */
  statuses: Status[];
}

/** envoy.service.discovery.v3.DiscoveryResponse, plus pushmesh's field 1000. */
export interface DiscoveryResponse {
  versionInfo: string;
  resources: Any[];
  canary: boolean;
  typeUrl: string;
  nonce: string;
  controlPlane?: ControlPlane | undefined;
  /**
   * pushmesh extension (field 1000, negotiated): answers to the client's
   * earlier requests of messages. Present only when the response holds at
   * least one (absent, not empty, otherwise).
   */
  pushmeshAnswers?: RequestAnswer[];
}
