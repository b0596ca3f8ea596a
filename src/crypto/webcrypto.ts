/**
 * The crypto backend for browsers (and any runtime with WebCrypto): SHA through crypto.subtle, MD5 in pure code.
 * WebCrypto has no incremental digest or sign, so chunks are collected and handed over at the end: memory grows
 * with the data here, unlike under Node.
 */
import { concatBytes } from '../bytes/source.js';
import { md5Hasher } from './md5.js';
import { pssMaxSalt, DIGEST_LENGTH, type CryptoBackend, type DigestName, type Hasher, type PrivateKeyDer, type PublicKeyDer, type SignatureParams } from './types.js';

const SUBTLE_DIGEST: Record<Exclude<DigestName, 'md5'>, string> = { sha1: 'SHA-1', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };

/** The part of SubtleCrypto used here (declared locally: the core compiles without the DOM library). */
interface Subtle {
  digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
  importKey(format: 'pkcs8' | 'spki', key: Uint8Array, algorithm: object, extractable: boolean, usages: string[]): Promise<unknown>;
  sign(algorithm: object, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
  verify(algorithm: object, key: unknown, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

function subtle(): Subtle {
  const s = (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
  if (!s) throw new Error('WebCrypto (crypto.subtle) is not available in this runtime');
  return s;
}

/** WebCrypto wants ArrayBuffer-backed views; copy what may sit on a shared or resizable buffer. */
const plain = (b: Uint8Array): Uint8Array => new Uint8Array(b);

function collector(): { update(chunk: Uint8Array): void; take(): Uint8Array } {
  const parts: Uint8Array[] = [];
  return {
    update: (chunk) => void parts.push(chunk.slice()),
    take: () => plain(concatBytes(parts)),
  };
}

function algorithmFor(kind: 'rsa' | 'ec', params: SignatureParams, curve?: string): object {
  const hash = SUBTLE_DIGEST[params.digest];
  if (kind === 'ec') return { name: 'ECDSA', namedCurve: curve ?? 'P-256' };
  return { name: params.scheme === 'pss' ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5', hash };
}

function signAlgorithm(kind: 'rsa' | 'ec', bits: number, params: SignatureParams): object {
  const hash = SUBTLE_DIGEST[params.digest];
  if (kind === 'ec') return { name: 'ECDSA', hash };
  if (params.scheme === 'pss') return { name: 'RSA-PSS', saltLength: pssMaxSalt(bits, DIGEST_LENGTH[params.digest]) };
  return { name: 'RSASSA-PKCS1-v1_5' };
}

export const backend: CryptoBackend = {
  name: 'webcrypto',
  createHasher(digest: DigestName): Hasher {
    if (digest === 'md5') return md5Hasher();
    const c = collector();
    return {
      update: c.update,
      digest: async () => new Uint8Array(await subtle().digest(SUBTLE_DIGEST[digest], c.take())),
    };
  },
  createSigner(key: PrivateKeyDer, params: SignatureParams) {
    const c = collector();
    return {
      update: c.update,
      async sign() {
        const k = await subtle().importKey('pkcs8', plain(key.pkcs8), algorithmFor(key.kind, params, key.curve), false, ['sign']);
        return new Uint8Array(await subtle().sign(signAlgorithm(key.kind, key.bits, params), k, c.take()));
      },
    };
  },
  async verify(key: PublicKeyDer, params: SignatureParams, data: readonly Uint8Array[], signature: Uint8Array) {
    const k = await subtle().importKey('spki', plain(key.spki), algorithmFor(key.kind, params, key.curve), false, ['verify']);
    return subtle().verify(signAlgorithm(key.kind, key.bits, params), k, plain(signature), plain(concatBytes(data)));
  },
};
