/**
 * The crypto backend under Node: node:crypto hashes and signs incrementally, so an image of any size is hashed and
 * signed chunk by chunk. Chosen by the package "imports" map (`#crypto`, condition "node").
 */
import * as crypto from 'node:crypto';
import type { CryptoBackend, DigestName, PrivateKeyDer, PublicKeyDer, SignatureParams } from '../crypto/types.js';

function keyOptions(params: SignatureParams) {
  if (params.scheme === 'ecdsa') return { dsaEncoding: 'ieee-p1363' as const };
  if (params.scheme === 'pss') return { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_MAX_SIGN };
  return { padding: crypto.constants.RSA_PKCS1_PADDING };
}

export const backend: CryptoBackend = {
  name: 'node',
  createHasher(digest: DigestName) {
    const h = crypto.createHash(digest);
    return {
      update: (chunk) => void h.update(chunk),
      digest: async () => new Uint8Array(h.digest()),
    };
  },
  createSigner(key: PrivateKeyDer, params: SignatureParams) {
    const s = crypto.createSign(params.digest);
    return {
      update: (chunk) => void s.update(chunk),
      async sign() {
        const k = crypto.createPrivateKey({ key: Buffer.from(key.pkcs8), format: 'der', type: 'pkcs8' });
        return new Uint8Array(s.sign({ key: k, ...keyOptions(params) }));
      },
    };
  },
  async verify(key: PublicKeyDer, params: SignatureParams, data: readonly Uint8Array[], signature: Uint8Array) {
    const v = crypto.createVerify(params.digest);
    for (const d of data) v.update(d);
    const k = crypto.createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' });
    const opts = params.scheme === 'pss'
      ? { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_AUTO }
      : keyOptions(params);
    return v.verify({ key: k, ...opts }, signature);
  },
};
