import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openssl } from '../helpers/openssl-ca.js';

/** PEM files made by the real `openssl` for the xDS TLS tests. */
export interface XdsTlsFiles {
  /** CA that issued the server's and the good client's certificates. */
  caFile: string;
  /** Server certificate for IP:127.0.0.1 and DNS:localhost, and its key. */
  serverCert: string;
  serverKey: string;
  /** A client certificate from caFile, and its key. */
  clientCert: string;
  clientKey: string;
  /** A client certificate from another CA (not trusted by the server), and its key. */
  strangerCert: string;
  strangerKey: string;
  /**
   * A Google service-account key file (a fresh RSA key, no real account):
   * what `google_default` channel credentials sign their self-signed JWT
   * with, without any network call.
   */
  serviceAccountFile: string;
}

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`]);
  await openssl(dir, ['req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-days', '30', '-out', `${name}.pem`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

async function issue(dir: string, ca: string, name: string, ext: string[]): Promise<void> {
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`]);
  await openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`]);
  await writeFile(join(dir, `${name}.ext`), ['basicConstraints = CA:FALSE', 'keyUsage = critical, digitalSignature, keyAgreement', ...ext].join('\n') + '\n');
  await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '30', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
}

export async function makeXdsTlsFiles(dir: string): Promise<XdsTlsFiles> {
  await makeCa(dir, 'xds-ca');
  await makeCa(dir, 'other-ca');
  await issue(dir, 'xds-ca', 'server', ['extendedKeyUsage = serverAuth', 'subjectAltName = IP:127.0.0.1, DNS:localhost']);
  await issue(dir, 'xds-ca', 'client', ['extendedKeyUsage = clientAuth']);
  await issue(dir, 'other-ca', 'stranger', ['extendedKeyUsage = clientAuth']);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serviceAccountFile = join(dir, 'service-account.json');
  await writeFile(serviceAccountFile, JSON.stringify({
    type: 'service_account',
    project_id: 'pushmesh-test',
    private_key_id: 'test',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: 'greeter@pushmesh-test.iam.gserviceaccount.com',
    client_id: '1',
  }));
  const p = (f: string): string => join(dir, f);
  return {
    caFile: p('xds-ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    strangerCert: p('stranger.pem'),
    strangerKey: p('stranger.key'),
    serviceAccountFile,
  };
}

/** Contents of a file as a Buffer (for grpc-js credentials). */
export const pem = (path: string): Promise<Buffer> => readFile(path);
