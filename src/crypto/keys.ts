/**
 * Keys and certificates as OpenSSL writes them, read without OpenSSL: PEM armour, PKCS#8, PKCS#1 and SEC1 private
 * keys, SubjectPublicKeyInfo, PKCS#1 public keys and X.509 certificates, turned into the PKCS#8 / SPKI DER that both
 * crypto backends import, and into the numbers a U-Boot key node holds (RSA modulus and exponent, EC point).
 * A small DER reader suffices: only a handful of fixed structures are read, each bounded by its enclosing length.
 */
import { UimgError } from '../errors.js';
import type { PrivateKeyDer, PublicKeyDer } from './types.js';

const OID_RSA = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const CURVES: { name: string; bits: number; oid: number[] }[] = [
  { name: 'P-256', bits: 256, oid: [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07] },
  { name: 'P-384', bits: 384, oid: [0x2b, 0x81, 0x04, 0x00, 0x22] },
  { name: 'P-521', bits: 521, oid: [0x2b, 0x81, 0x04, 0x00, 0x23] },
];

const bad = (what: string, hint = 'give a PEM file as openssl writes it (genrsa, genpkey, ecparam -genkey, req -x509)') =>
  new UimgError('BAD_KEY', `not a usable key or certificate: ${what}`, { field: 'key' }, hint);

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

/** Every `-----BEGIN X-----` … `-----END X-----` block of a text, base64 decoded. */
export function parsePem(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = m[2]!;
    if (/Proc-Type:\s*4,ENCRYPTED/.test(body)) throw bad(`the ${m[1]} is encrypted`, 'decrypt it first (openssl rsa -in KEY -out PLAIN)');
    const b64 = body.replace(/[^A-Za-z0-9+/=]/g, '');
    out.push({ label: m[1]!, der: base64Decode(b64) });
  }
  return out;
}

function base64Decode(s: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const clean = s.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0, acc = 0, at = 0;
  for (const ch of clean) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw bad('bad base64 in the PEM body');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, at);
}

interface Tlv {
  tag: number;
  /** Content start and end. */
  start: number;
  end: number;
}

function readTlv(b: Uint8Array, at: number, limit = b.length): Tlv {
  if (at + 2 > limit) throw bad('DER ends early');
  const tag = b[at]!;
  let len = b[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw bad('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  if (start + len > limit) throw bad('DER length runs past its container');
  return { tag, start, end: start + len };
}

/** The children of a constructed value. */
function children(b: Uint8Array, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = t.start; at < t.end;) {
    const c = readTlv(b, at, t.end);
    out.push(c);
    at = c.end;
  }
  return out;
}

function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw bad(`expected ${what}`);
  return t;
}

const bytesOf = (b: Uint8Array, t: Tlv) => b.subarray(t.start, t.end);
const same = (a: Uint8Array, b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

function unsigned(b: Uint8Array): bigint {
  let n = 0n;
  for (const v of b) n = (n << 8n) | BigInt(v);
  return n;
}

const bitLength = (n: bigint) => (n === 0n ? 0 : n.toString(2).length);

// --- DER writing (only what the wrappers need) ---

function encodeLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function tlv(tag: number, ...content: (Uint8Array | readonly number[])[]): Uint8Array {
  const body = content.flatMap((c) => Array.from(c));
  return new Uint8Array([tag, ...encodeLength(body.length), ...body]);
}

function derInteger(n: bigint): Uint8Array {
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const bytes = hex.match(/../g)!.map((h) => parseInt(h, 16));
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, bytes);
}

const rsaAlgorithm = () => tlv(0x30, tlv(0x06, OID_RSA), [0x05, 0x00]);
const ecAlgorithm = (curveOid: readonly number[]) => tlv(0x30, tlv(0x06, OID_EC), tlv(0x06, curveOid));

// --- public API ---

export interface RsaPublicNumbers {
  kind: 'rsa';
  modulus: bigint;
  exponent: bigint;
  bits: number;
}

export interface EcPublicNumbers {
  kind: 'ec';
  curve: string;
  bits: number;
  x: bigint;
  y: bigint;
}

export type PublicNumbers = RsaPublicNumbers | EcPublicNumbers;

export interface KeyPair {
  privateKey: PrivateKeyDer;
  /** Derived from the private key (RSA always; EC when the key file holds the public point, as openssl's do). */
  publicKey?: PublicKeyDer;
}

function curveByOid(oid: Uint8Array) {
  const c = CURVES.find((k) => same(oid, k.oid));
  if (!c) throw bad('an elliptic curve other than P-256, P-384 or P-521');
  return c;
}

function rsaPublicSpki(modulus: bigint, exponent: bigint): Uint8Array {
  const inner = tlv(0x30, derInteger(modulus), derInteger(exponent));
  return tlv(0x30, rsaAlgorithm(), tlv(0x03, [0], inner));
}

function fromPkcs1Private(der: Uint8Array): KeyPair {
  const seq = children(der, expect(readTlv(der, 0), 0x30, 'an RSAPrivateKey sequence'));
  const n = unsigned(bytesOf(der, expect(seq[1], 0x02, 'the RSA modulus')));
  const e = unsigned(bytesOf(der, expect(seq[2], 0x02, 'the RSA public exponent')));
  const bits = bitLength(n);
  const pkcs8 = tlv(0x30, derInteger(0n), rsaAlgorithm(), tlv(0x04, der.subarray(0, readTlv(der, 0).end)));
  return { privateKey: { kind: 'rsa', pkcs8, bits }, publicKey: { kind: 'rsa', spki: rsaPublicSpki(n, e), bits } };
}

function fromSec1(der: Uint8Array, curveOid?: Uint8Array): KeyPair {
  const top = expect(readTlv(der, 0), 0x30, 'an ECPrivateKey sequence');
  const seq = children(der, top);
  let oid = curveOid;
  let point: Uint8Array | undefined;
  for (const c of seq.slice(2)) {
    if (c.tag === 0xa0) oid = bytesOf(der, expect(readTlv(der, c.start, c.end), 0x06, 'the curve OID'));
    if (c.tag === 0xa1) {
      const bitString = expect(readTlv(der, c.start, c.end), 0x03, 'the public point');
      point = der.subarray(bitString.start + 1, bitString.end);
    }
  }
  if (!oid) throw bad('an EC key without its curve');
  const curve = curveByOid(oid);
  const ecPrivate = der.subarray(0, top.end);
  const pkcs8 = tlv(0x30, derInteger(0n), ecAlgorithm(curve.oid), tlv(0x04, ecPrivate));
  const pair: KeyPair = { privateKey: { kind: 'ec', pkcs8, bits: curve.bits, curve: curve.name } };
  if (point) pair.publicKey = { kind: 'ec', spki: tlv(0x30, ecAlgorithm(curve.oid), tlv(0x03, [0], point)), bits: curve.bits, curve: curve.name };
  return pair;
}

function fromPkcs8(der: Uint8Array): KeyPair {
  const seq = children(der, expect(readTlv(der, 0), 0x30, 'a PrivateKeyInfo sequence'));
  const alg = children(der, expect(seq[1], 0x30, 'an AlgorithmIdentifier'));
  const oid = bytesOf(der, expect(alg[0], 0x06, 'an algorithm OID'));
  const inner = bytesOf(der, expect(seq[2], 0x04, 'the private key octets'));
  if (same(oid, OID_RSA)) return fromPkcs1Private(inner);
  if (same(oid, OID_EC)) return fromSec1(inner, alg[1]?.tag === 0x06 ? bytesOf(der, alg[1]) : undefined);
  throw bad('a private key that is neither RSA (rsaEncryption) nor EC');
}

/** A private key file: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`). */
export function readPrivateKey(text: string): KeyPair {
  for (const block of parsePem(text)) {
    if (block.label === 'PRIVATE KEY') return fromPkcs8(block.der);
    if (block.label === 'RSA PRIVATE KEY') return fromPkcs1Private(block.der);
    if (block.label === 'EC PRIVATE KEY') return fromSec1(block.der);
    if (block.label === 'ENCRYPTED PRIVATE KEY') throw bad('the private key is encrypted', 'decrypt it first (openssl pkcs8 -in KEY -nocrypt)');
  }
  throw bad('no PEM private key block (RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY) found');
}

function spkiInfo(der: Uint8Array, t: Tlv): PublicKeyDer {
  const seq = children(der, expect(t, 0x30, 'a SubjectPublicKeyInfo'));
  const alg = children(der, expect(seq[0], 0x30, 'an AlgorithmIdentifier'));
  const oid = bytesOf(der, expect(alg[0], 0x06, 'an algorithm OID'));
  const spki = der.slice(t.start - headerLength(der, t), t.end);
  if (same(oid, OID_RSA)) return { kind: 'rsa', spki, bits: Number(rsaNumbers({ kind: 'rsa', spki, bits: 0 }).bits) };
  if (same(oid, OID_EC)) {
    const curve = curveByOid(bytesOf(der, expect(alg[1], 0x06, 'the curve OID')));
    return { kind: 'ec', spki, bits: curve.bits, curve: curve.name };
  }
  throw bad('a public key that is neither RSA nor EC');
}

function headerLength(der: Uint8Array, t: Tlv): number {
  // The start of the TLV is found by re-encoding its length: tag byte + length bytes.
  return 1 + encodeLength(t.end - t.start).length;
}

/** A public key: an X.509 certificate (`CERTIFICATE`), `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY` (PKCS#1). */
export function readPublicKey(text: string): PublicKeyDer {
  for (const block of parsePem(text)) {
    const der = block.der;
    if (block.label === 'CERTIFICATE') {
      const cert = children(der, expect(readTlv(der, 0), 0x30, 'a Certificate sequence'));
      const tbs = children(der, expect(cert[0], 0x30, 'a TBSCertificate'));
      // version [0] is optional; then serial, signature algorithm, issuer, validity, subject, subjectPublicKeyInfo.
      const first = tbs[0]?.tag === 0xa0 ? 1 : 0;
      return spkiInfo(der, expect(tbs[first + 5], 0x30, 'the subjectPublicKeyInfo'));
    }
    if (block.label === 'PUBLIC KEY') return spkiInfo(der, readTlv(der, 0));
    if (block.label === 'RSA PUBLIC KEY') {
      const seq = children(der, expect(readTlv(der, 0), 0x30, 'an RSAPublicKey'));
      const n = unsigned(bytesOf(der, expect(seq[0], 0x02, 'the RSA modulus')));
      const e = unsigned(bytesOf(der, expect(seq[1], 0x02, 'the RSA exponent')));
      return { kind: 'rsa', spki: rsaPublicSpki(n, e), bits: bitLength(n) };
    }
  }
  const pair = (() => {
    try {
      return readPrivateKey(text);
    } catch {
      return undefined;
    }
  })();
  if (pair?.publicKey) return pair.publicKey;
  throw bad('no PEM certificate or public key block (CERTIFICATE, PUBLIC KEY, RSA PUBLIC KEY) found');
}

/** The RSA modulus and exponent of an SPKI. */
export function rsaNumbers(key: PublicKeyDer): RsaPublicNumbers {
  const der = key.spki;
  const seq = children(der, expect(readTlv(der, 0), 0x30, 'a SubjectPublicKeyInfo'));
  const bitString = expect(seq[1], 0x03, 'the public key bits');
  const inner = readTlv(der, bitString.start + 1, bitString.end);
  const nums = children(der, expect(inner, 0x30, 'an RSAPublicKey'));
  const modulus = unsigned(bytesOf(der, expect(nums[0], 0x02, 'the RSA modulus')));
  const exponent = unsigned(bytesOf(der, expect(nums[1], 0x02, 'the RSA exponent')));
  return { kind: 'rsa', modulus, exponent, bits: bitLength(modulus) };
}

/** The curve and affine point of an EC SPKI (uncompressed points only, as openssl writes them). */
export function ecNumbers(key: PublicKeyDer): EcPublicNumbers {
  const der = key.spki;
  const seq = children(der, expect(readTlv(der, 0), 0x30, 'a SubjectPublicKeyInfo'));
  const bitString = expect(seq[1], 0x03, 'the public point');
  const point = der.subarray(bitString.start + 1, bitString.end);
  if (point[0] !== 4) throw bad('a compressed EC point', 'write the key with uncompressed points (openssl default)');
  const size = (point.length - 1) / 2;
  return { kind: 'ec', curve: key.curve ?? 'P-256', bits: key.bits, x: unsigned(point.subarray(1, 1 + size)), y: unsigned(point.subarray(1 + size)) };
}
