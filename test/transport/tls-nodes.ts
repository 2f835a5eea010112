import { createSelfSignedCertificate } from '../../src/identity/certificate.js';
import type { NodeTls } from '../../src/transport/auth/peer-authenticator.js';
import { makeNode, type TestNode } from '../message/nodes.js';

/** A test node with real keys and its self-signed node certificate (as `pushmesh init` makes). */
export interface TlsNode extends TestNode {
  tls: NodeTls;
}

export async function makeTlsNode(): Promise<TlsNode> {
  const node = makeNode();
  const key = node.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const cert = await createSelfSignedCertificate({ privateKey: node.privateKey, publicKey: node.publicKey, privateScalar: node.privateScalar, pkcs8Pem: key }, node.id);
  return { ...node, tls: { key, cert } };
}
