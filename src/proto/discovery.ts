import { anyToRaw, anyViewFromRaw } from './any.js';
import { asBadMessage } from '../message/bad-message.js';
import { fastDiscoveryRequest, fastDiscoveryResponse } from './fast-frames.js';
import { bool, decodeInstance, encodeRaw, int64Of, str, strList, sub, subList, toPlain, type RawObject } from './raw.js';
import { statusFromRaw, statusToRaw } from './status.js';
import { jsonToStruct, structToJson } from './struct.js';
import type { ControlPlane, DiscoveryRequest, DiscoveryResponse, Node, RequestAnswer, Status } from './types.js';

const REQUEST = 'envoy.service.discovery.v3.DiscoveryRequest';
const RESPONSE = 'envoy.service.discovery.v3.DiscoveryResponse';

/** Fields of a DiscoveryRequest to encode; absent ones take proto3 defaults. */
export type DiscoveryRequestInit = Partial<Omit<DiscoveryRequest, 'node' | 'errorDetail'>> & {
  node?: Partial<Node> | undefined;
  errorDetail?: Partial<Status> | undefined;
};

/** Fields of a DiscoveryResponse to encode; absent ones take proto3 defaults. */
export type DiscoveryResponseInit = Partial<DiscoveryResponse>;

function nodeToRaw(node: Partial<Node>): RawObject {
  const raw: RawObject = {
    id: node.id ?? '',
    cluster: node.cluster ?? '',
    userAgentName: node.userAgentName ?? '',
    clientFeatures: node.clientFeatures ?? [],
  };
  if (node.metadata !== undefined) raw.metadata = jsonToStruct(node.metadata);
  if (node.userAgentVersion !== undefined) raw.userAgentVersion = node.userAgentVersion;
  return raw;
}

function nodeFromRaw(raw: RawObject): Node {
  const metadata = sub(raw.metadata, 'node.metadata');
  return {
    id: str(raw.id, 'node.id'),
    cluster: str(raw.cluster, 'node.cluster'),
    metadata: metadata && structToJson(metadata, 'node.metadata'),
    userAgentName: str(raw.userAgentName, 'node.user_agent_name'),
    userAgentVersion: raw.userAgentVersionType === 'userAgentVersion' ? str(raw.userAgentVersion, 'node.user_agent_version') : undefined,
    clientFeatures: strList(raw.clientFeatures, 'node.client_features'),
  };
}

export function encodeDiscoveryRequest(req: DiscoveryRequestInit): Buffer {
  const raw: RawObject = {
    versionInfo: req.versionInfo ?? '',
    resourceNames: req.resourceNames ?? [],
    typeUrl: req.typeUrl ?? '',
    responseNonce: req.responseNonce ?? '',
    pushmeshResources: (req.pushmeshResources ?? []).map(anyToRaw),
  };
  if (req.node) raw.node = nodeToRaw(req.node);
  if (req.errorDetail) raw.errorDetail = statusToRaw(req.errorDetail);
  return encodeRaw(REQUEST, raw);
}

/**
 * Decodes a DiscoveryRequest. Fields pushmesh does not declare (a full
 * Envoy Node's locality, extensions, …) are skipped. Resource values are
 * views into `data` (no copy): do not change `data` while using them.
 * Throws ERR_BAD_MESSAGE only.
 */
export function decodeDiscoveryRequest(data: Uint8Array): DiscoveryRequest {
  return fastDiscoveryRequest(data) ?? fromInstance(REQUEST, data, requestFromRaw); // the link's own shapes first (fast-frames.ts)
}

/**
 * Decodes to protobufjs's message instance and maps it without a
 * plain-object copy (requests and responses carry every link message);
 * only the rare Node is converted whole. Throws ERR_BAD_MESSAGE only.
 */
function fromInstance<T>(typeName: string, data: Uint8Array, map: (raw: RawObject) => T): T {
  const raw = decodeInstance(typeName, data);
  try {
    return map(raw);
  } catch (err) {
    throw asBadMessage(err, `${typeName}: invalid`);
  }
}

function requestFromRaw(raw: RawObject): DiscoveryRequest {
  const nodeInstance = sub(raw.node, 'node');
  const node = nodeInstance && toPlain('envoy.config.core.v3.Node', nodeInstance);
  const errorDetail = sub(raw.errorDetail, 'error_detail');
  return {
    versionInfo: str(raw.versionInfo, 'version_info'),
    node: node && nodeFromRaw(node),
    resourceNames: strList(raw.resourceNames, 'resource_names'),
    typeUrl: str(raw.typeUrl, 'type_url'),
    responseNonce: str(raw.responseNonce, 'response_nonce'),
    errorDetail: errorDetail && statusFromRaw(errorDetail, 'error_detail'),
    pushmeshResources: subList(raw.pushmeshResources, 'pushmesh_resources').map((a) => anyViewFromRaw(a, 'pushmesh_resources')),
  };
}

export function encodeDiscoveryResponse(res: DiscoveryResponseInit): Buffer {
  const raw: RawObject = {
    versionInfo: res.versionInfo ?? '',
    resources: (res.resources ?? []).map(anyToRaw),
    canary: res.canary ?? false,
    typeUrl: res.typeUrl ?? '',
    nonce: res.nonce ?? '',
  };
  if (res.controlPlane) raw.controlPlane = { identifier: res.controlPlane.identifier };
  if (res.pushmeshAnswers) raw.pushmeshAnswers = res.pushmeshAnswers.map((a) => ({ request: a.request, statuses: a.statuses.map(statusToRaw) }));
  return encodeRaw(RESPONSE, raw);
}

/** Decodes a DiscoveryResponse (resource values are views into `data`); throws ERR_BAD_MESSAGE only. */
export function decodeDiscoveryResponse(data: Uint8Array): DiscoveryResponse {
  return fastDiscoveryResponse(data) ?? fromInstance(RESPONSE, data, responseFromRaw); // the link's own shapes first (fast-frames.ts)
}

function responseFromRaw(raw: RawObject): DiscoveryResponse {
  const cp = sub(raw.controlPlane, 'control_plane');
  const controlPlane: ControlPlane | undefined = cp && { identifier: str(cp.identifier, 'control_plane.identifier') };
  const res: DiscoveryResponse = {
    versionInfo: str(raw.versionInfo, 'version_info'),
    resources: subList(raw.resources, 'resources').map((a) => anyViewFromRaw(a, 'resources')),
    canary: bool(raw.canary, 'canary'),
    typeUrl: str(raw.typeUrl, 'type_url'),
    nonce: str(raw.nonce, 'nonce'),
    controlPlane,
  };
  const answers = subList(raw.pushmeshAnswers, 'pushmesh_answers');
  if (answers.length > 0) res.pushmeshAnswers = answers.map(answerFromRaw);
  return res;
}

/**
 * One pushmesh.v1.RequestAnswer (field 1000 of a response, from the
 * peer): `request` a safe integer, each status a google.rpc.Status.
 * Whether the answers make sense on the link (asked for, in order) is the
 * link's to check (ads-client-link.ts). Throws ERR_BAD_MESSAGE only.
 */
function answerFromRaw(raw: RawObject): RequestAnswer {
  return {
    request: int64Of(raw.request, 'pushmesh_answers.request'),
    statuses: subList(raw.statuses, 'pushmesh_answers.statuses').map((s) => statusFromRaw(s, 'pushmesh_answers.statuses')),
  };
}

/** @internal protobufjs's decoders alone (without fast-frames.ts), for the tests that hold the two to the same results. */
export const generalDecoders = {
  request: (data: Uint8Array): DiscoveryRequest => fromInstance(REQUEST, data, requestFromRaw),
  response: (data: Uint8Array): DiscoveryResponse => fromInstance(RESPONSE, data, responseFromRaw),
};
