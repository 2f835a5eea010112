import type { X509Certificate } from 'node:crypto';
import type { NodeId } from '../../identity/types.js';
import type { AccessPolicy } from './access-policy.js';
import { identifyCertificate, refused, type CertificateProof } from './peer-proof.js';

/** This node's TLS key and certificate, PEM. */
export interface NodeTls {
  key: string;
  cert: string;
}

/**
 * Authentication (which key did the peer prove) and authorization (may
 * that node hold a link) of peers, shared by every transport. Every
 * refusal is ERR_PEER_REFUSED whose message starts with the close reason
 * (`unauthenticated: …` or `forbidden: …`).
 */
export class PeerAuthenticator {
  readonly selfId: NodeId;
  readonly tls: NodeTls;
  /** CAs whose certificates are accepted as well; replaced on a reload (SIGHUP), for links made from then on. */
  trustCas: readonly X509Certificate[];
  readonly policy: AccessPolicy | null;

  constructor(opts: { selfId: NodeId; tls: NodeTls; trustCas?: readonly X509Certificate[]; policy?: AccessPolicy | null }) {
    this.selfId = opts.selfId;
    this.tls = opts.tls;
    this.trustCas = opts.trustCas ?? [];
    this.policy = opts.policy ?? null;
  }

  /** Identifies a TLS peer by its certificate, then checks it may link. */
  certificate(cert: X509Certificate | undefined, direction: 'inbound' | 'outbound', expectedId?: NodeId): CertificateProof {
    const proof = identifyCertificate(cert, { expectedId, trustCas: this.trustCas });
    this.permit(proof, direction);
    return proof;
  }

  /** Checks that an identified peer may link (deny list, allow list, not this node itself). */
  permit(proof: CertificateProof, direction: 'inbound' | 'outbound'): void {
    if (proof.id === this.selfId) throw refused('forbidden', 'the peer is this node itself');
    const decision = this.policy?.check({ id: proof.id, caSigned: proof.caSigned, direction }) ?? { ok: true };
    if (!decision.ok) throw refused('forbidden', decision.message);
  }
}
