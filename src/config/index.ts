export type { NodeConfig, NodeLimits, HostPort, ServiceConfig, XdsConfig, XdsTlsConfig } from './types.js';
export { defaultConfig, DEFAULT_LOCAL_PORT, DEFAULT_GRPC_PORT, DEFAULT_HTTPS_PORT } from './defaults.js';
export { parseHostPort, formatHostPort } from './host-port.js';
export { parseVapidSubject, MAX_VAPID_SUBJECT_LENGTH } from './vapid-subject.js';
export { resolveXds, DEFAULT_XDS_NAMESPACE } from './xds.js';
export { layerFromEnv, layerFromFile, layerFromObject, layerFromText, resolveConfig, type ConfigLayer } from './load.js';
export {
  type BackendsConfig,
  type BridgeMode,
  type BridgeRuleConfig,
  type ContentMode,
  type NatsSettings,
  type PubSubSettings,
  type WebhookSettings,
  defaultBackends,
  parseBridgeSpec,
  webhookForUrl,
} from './backends.js';
