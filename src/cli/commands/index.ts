import type { RegisterCommand } from '../command-module.js';
import { registerCard } from './card.js';
import { registerCert } from './cert.js';
import { registerConfig } from './config.js';
import { registerHealth } from './health.js';
import { registerId } from './id.js';
import { registerInit } from './init.js';
import { registerMetrics } from './metrics.js';
import { registerPeer } from './peer.js';
import { registerPeers } from './peers.js';
import { registerRoutes } from './routes.js';
import { registerRun } from './run.js';
import { registerSend } from './send.js';
import { registerStatus } from './status.js';
import { registerTail } from './tail.js';

/** Every verb, in the order `pushmesh --help` lists them. Add a verb: one file, one line here. */
export const commands: readonly RegisterCommand[] = [registerInit, registerId, registerCard, registerPeer, registerRun, registerSend, registerStatus, registerTail, registerPeers, registerRoutes, registerHealth, registerMetrics, registerConfig, registerCert];
