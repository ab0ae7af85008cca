import { generateKeyPairSync } from 'node:crypto';
import { dkimSign, sealMessage, type ARCSealOptions } from 'mailauth';

/** A DKIM (and ARC) key made for one test run, with the TXT record that publishes it. */
export interface TestDkimKey {
  domain: string;
  selector: string;
  privateKey: string;
  /** Name of the key's TXT record: `selector._domainkey.domain`. */
  recordName: string;
  /** Value of the TXT record: `v=DKIM1; k=rsa; p=...`. */
  record: string;
}

/**
 * Generates an RSA key for DKIM. 1024 bits is the shortest key mailauth accepts and keeps
 * the TXT answer inside one 512-byte UDP packet of the test DNS server.
 */
export function createDkimKey(domain: string, selector = 'test'): TestDkimKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return {
    domain,
    selector,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    recordName: `${selector}._domainkey.${domain}`,
    record: `v=DKIM1; k=rsa; p=${spki}`,
  };
}

/** Returns the message with a DKIM-Signature of `key` in front of it. */
export async function signMessage(raw: Buffer, key: TestDkimKey): Promise<Buffer> {
  const signature = {
    signingDomain: key.domain,
    selector: key.selector,
    privateKey: key.privateKey,
  };
  const signed = await dkimSign(raw, {
    ...signature,
    canonicalization: 'relaxed/relaxed',
    signatureData: [signature],
  });
  if (signed.errors.length > 0) throw signed.errors[0];
  if (!signed.signatures.startsWith('DKIM-Signature:')) throw new Error('mailauth did not sign');
  return Buffer.concat([Buffer.from(signed.signatures), raw]);
}

/** Returns the message with an ARC set (i=1) sealed with `key`, as a forwarding hop adds it. */
export async function sealMessageArc(raw: Buffer, key: TestDkimKey): Promise<Buffer> {
  // mailauth reads the chain validation and the results to seal from fields its types omit.
  const seal: ARCSealOptions & { cv: string; authResults: string } = {
    signingDomain: key.domain,
    selector: key.selector,
    privateKey: key.privateKey,
    cv: 'none',
    authResults: `mx.${key.domain}; spf=pass smtp.mailfrom=${key.domain}`,
  };
  const headers = await sealMessage(raw, seal);
  if (!headers.toString().startsWith('ARC-Seal:')) throw new Error('mailauth did not seal');
  return Buffer.concat([headers, raw]);
}
