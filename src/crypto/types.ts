/**
 * The crypto adapter's contract: incremental hashes and signatures over the digests and schemes FIT images use.
 * Two implementations sit behind the package "imports" map entry `#crypto`: node:crypto under Node
 * (src/node/crypto-native.ts), WebCrypto elsewhere (webcrypto.ts). Keys travel as PKCS#8 / SPKI DER, the one form
 * both accept; keys.ts turns PEM, PKCS#1, SEC1 and X.509 into it.
 */
export type DigestName = 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';
export type SignatureScheme = 'pkcs1' | 'pss' | 'ecdsa';

export interface Hasher {
  update(chunk: Uint8Array): void;
  digest(): Promise<Uint8Array>;
}

export interface Signer {
  update(chunk: Uint8Array): void;
  /** RSA: the signature as wide as the modulus; ECDSA: raw r‖s (IEEE P1363), as U-Boot stores it. */
  sign(): Promise<Uint8Array>;
}

export interface SignatureParams {
  digest: Exclude<DigestName, 'md5'>;
  scheme: SignatureScheme;
}

export interface PrivateKeyDer {
  kind: 'rsa' | 'ec';
  /** PKCS#8 PrivateKeyInfo. */
  pkcs8: Uint8Array;
  /** RSA modulus size or EC order size in bits. */
  bits: number;
  /** EC only: 'P-256' | 'P-384' | 'P-521'. */
  curve?: string;
}

export interface PublicKeyDer {
  kind: 'rsa' | 'ec';
  /** SubjectPublicKeyInfo. */
  spki: Uint8Array;
  bits: number;
  curve?: string;
}

export interface CryptoBackend {
  readonly name: 'node' | 'webcrypto';
  createHasher(digest: DigestName): Hasher;
  createSigner(key: PrivateKeyDer, params: SignatureParams): Signer;
  verify(key: PublicKeyDer, params: SignatureParams, data: readonly Uint8Array[], signature: Uint8Array): Promise<boolean>;
}

/** The largest PSS salt for a key and digest (what OpenSSL uses when signing, and what U-Boot accepts). */
export function pssMaxSalt(bits: number, digestLength: number): number {
  return Math.ceil((bits - 1) / 8) - digestLength - 2;
}

export const DIGEST_LENGTH: Record<DigestName, number> = { md5: 16, sha1: 20, sha256: 32, sha384: 48, sha512: 64 };
