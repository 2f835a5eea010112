/**
 * Signed configuration (docs/signed-config.md): compact JWS (ES256) over
 * {namespace, name, version, iat, data | encrypted}, verified against
 * per-namespace owners, kept per (namespace, name) with rollback
 * protection, carried by untrusted pipes (the mesh, ConfigChannels).
 */
export type { ConfigChannel } from './channel.js';
export type {
  ConfigPayload,
  ConfigRecipient,
  ConfigSource,
  ConfigView,
  EncryptedConfigData,
  SignedConfigApi,
  SubmitResult,
  VerifiedConfig,
} from './types.js';
export { CONFIG_REFUSALS, ConfigRefusedError, isConfigRefused, type ConfigRefusal } from '../errors/config-refused-error.js';
export {
  CONFIG_JWS_TYPE,
  CONFIG_MEDIA_TYPE,
  CONFIG_TOPIC,
  MAX_CONFIG_RECIPIENTS,
  MAX_SIGNED_CONFIG_LENGTH,
  NAME_RULE,
  isConfigName,
  isConfigVersion,
} from './names.js';
export { decodeSignedConfig, peekConfigAddress, type ConfigHeader, type DecodedConfig } from './format.js';
export { signConfig, type SignConfigInput } from './sign.js';
export { verifySignedConfig, type VerifyConfigOptions } from './verify.js';
export { TrustPolicy, parseOwner } from './trust.js';
export { encryptConfigData, decryptConfigData, CONTENT_KEY_LENGTH, type DecryptedConfigData } from './encryption.js';
export { ConfigStore, type StoredConfig } from './config-store.js';
export { ConfigMetrics } from './config-metrics.js';
export { MeshConfigRelay, replaceKey, type MeshConfigRelayOptions, type MeshPublishResult, type MeshSendRequest } from './mesh-relay.js';
export { MemoryConfigHub } from './memory-channel.js';
export { SignedConfigService, type LocalSubmitResult, type PublishOutcome, type SignedConfigServiceOptions } from './config-service.js';
