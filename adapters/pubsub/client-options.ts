import type { ClientConfig } from '@google-cloud/pubsub';

/**
 * The Pub/Sub client's options for `projectId`. With the emulator
 * (`PUBSUB_EMULATOR_HOST` set) the client is told so, and which universe
 * it is in: otherwise, to learn the universe domain, google-auth-library
 * looks for Google credentials and then for the GCE metadata server,
 * finds neither on a developer's machine or a CI runner, and prints a
 * `MetadataLookupWarning` on stderr — noise in a documented setup. The
 * emulator needs no credentials (plain gRPC, no TLS).
 */
export function pubSubClientOptions(projectId: string, env: NodeJS.ProcessEnv = process.env): ClientConfig {
  if (!env['PUBSUB_EMULATOR_HOST']) return { projectId };
  return { projectId, emulatorMode: true, universeDomain: 'googleapis.com' };
}
