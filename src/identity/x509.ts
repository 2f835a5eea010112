// Order matters: the Reflect metadata polyfill must load before @peculiar/x509 (its tsyringe needs it).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// @peculiar/x509 signs and verifies with Node's own WebCrypto.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** @peculiar/x509, loaded with its prerequisites and Node's WebCrypto as provider. */
export { x509 };
