import { execFileSync } from 'node:child_process';
import * as nodeCrypto from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { crc16Ccitt } from '../src/bytes/crc16.js';
import { ecNumbers, readPrivateKey, readPublicKey, rsaNumbers } from '../src/crypto/keys.js';
import { md5Hasher } from '../src/crypto/md5.js';
import type { CryptoBackend, SignatureParams } from '../src/crypto/types.js';
import { backend as webBackend } from '../src/crypto/webcrypto.js';
import { backend as nodeBackend } from '../src/node/crypto-native.js';
import { hasTool, tempDir } from './helpers.js';
import { skipped } from './skip.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const data = new Uint8Array(300_001).map((_, i) => (i * 31 + 7) & 0xff);

async function hashWith(b: CryptoBackend, algo: 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512', chunk: number) {
  const h = b.createHasher(algo);
  for (let at = 0; at < data.length; at += chunk) h.update(data.subarray(at, at + chunk));
  return hex(await h.digest());
}

describe('hashes', () => {
  it('crc16-ccitt is CRC-16/XMODEM', () => {
    expect(crc16Ccitt(new TextEncoder().encode('123456789')).toString(16)).toBe('31c3');
    expect(crc16Ccitt(new TextEncoder().encode('123456789\0')).toString(16)).toBe('e572');
  });
  it.each(['md5', 'sha1', 'sha256', 'sha384', 'sha512'] as const)('%s: both backends, any chunking, equal node:crypto', async (algo) => {
    const want = nodeCrypto.createHash(algo).update(data).digest('hex');
    for (const chunk of [1 << 20, 63, 64, 65, 4096]) {
      expect(await hashWith(nodeBackend, algo, chunk)).toBe(want);
      expect(await hashWith(webBackend, algo, chunk)).toBe(want);
    }
  });
  it('pure md5 on the RFC 1321 vectors', async () => {
    const md5 = async (s: string) => {
      const h = md5Hasher();
      h.update(new TextEncoder().encode(s));
      return hex(await h.digest());
    };
    expect(await md5('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(await md5('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(await md5('1'.repeat(80))).toBe(nodeCrypto.createHash('md5').update('1'.repeat(80)).digest('hex'));
  });
});

const OPENSSL = hasTool('openssl');
describe.skipIf(!OPENSSL)('keys and signatures (openssl-made keys)', () => {
  let dir = '';
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  beforeAll(() => {
    dir = tempDir('uimg-crypto-');
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rsa8.key');
    ssl('rsa', '-in', 'rsa8.key', '-traditional', '-out', 'rsa1.key');
    ssl('req', '-batch', '-new', '-x509', '-key', 'rsa8.key', '-out', 'rsa.crt', '-subj', '/CN=dev', '-days', '10');
    ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ec1.key');
    ssl('pkcs8', '-topk8', '-nocrypt', '-in', 'ec1.key', '-out', 'ec8.key');
    ssl('ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-out', 'ec384.key');
    ssl('req', '-batch', '-new', '-x509', '-key', 'ec1.key', '-out', 'ec.crt', '-subj', '/CN=ec', '-days', '10');
    writeFileSync(join(dir, 'data.bin'), data);
  });

  it('reads PKCS#1 and PKCS#8 RSA keys and the certificate to the same numbers as node:crypto', () => {
    const jwk = nodeCrypto.createPublicKey(read('rsa.crt')).export({ format: 'jwk' });
    const n = BigInt('0x' + Buffer.from(jwk.n!, 'base64url').toString('hex'));
    expect(rsaNumbers(readPublicKey(read('rsa.crt'))).modulus).toBe(n);
    expect(rsaNumbers(readPrivateKey(read('rsa1.key')).publicKey!).modulus).toBe(n);
    expect(rsaNumbers(readPrivateKey(read('rsa8.key')).publicKey!)).toMatchObject({ modulus: n, exponent: 65537n, bits: 2048 });
  });

  it('PKCS#1 v1.5 signatures are identical in both backends and to openssl dgst', async () => {
    for (const file of ['rsa1.key', 'rsa8.key']) {
      for (const digest of ['sha1', 'sha256', 'sha384', 'sha512'] as const) {
        const params: SignatureParams = { digest, scheme: 'pkcs1' };
        const key = readPrivateKey(read(file)).privateKey;
        const sigs = await Promise.all([nodeBackend, webBackend].map(async (b) => {
          const s = b.createSigner(key, params);
          s.update(data.subarray(0, 1000));
          s.update(data.subarray(1000));
          return s.sign();
        }));
        const want = execFileSync('openssl', ['dgst', `-${digest}`, '-sign', file, 'data.bin'], { cwd: dir });
        expect(hex(sigs[0]!)).toBe(want.toString('hex'));
        expect(hex(sigs[1]!)).toBe(want.toString('hex'));
      }
    }
  });

  it('PSS and ECDSA signatures made by either backend verify in the other and in openssl', async () => {
    const cases: [string, SignatureParams][] = [
      ['rsa1.key', { digest: 'sha256', scheme: 'pss' }],
      ['rsa8.key', { digest: 'sha512', scheme: 'pss' }],
      ['ec1.key', { digest: 'sha256', scheme: 'ecdsa' }],
      ['ec8.key', { digest: 'sha1', scheme: 'ecdsa' }],
      ['ec384.key', { digest: 'sha384', scheme: 'ecdsa' }],
    ];
    for (const [file, params] of cases) {
      const pair = readPrivateKey(read(file));
      for (const [signer, verifier] of [[nodeBackend, webBackend], [webBackend, nodeBackend]] as const) {
        const s = signer.createSigner(pair.privateKey, params);
        s.update(data);
        const sig = await s.sign();
        expect(sig.length).toBe(params.scheme === 'ecdsa' ? (pair.privateKey.bits / 8) * 2 : 256);
        expect(await verifier.verify(pair.publicKey!, params, [data], sig)).toBe(true);
        const tampered = sig.slice();
        tampered[5]! ^= 1;
        expect(await verifier.verify(pair.publicKey!, params, [data], tampered)).toBe(false);
      }
    }
  });

  it('EC keys: the certificate and the key give the same point', () => {
    const a = ecNumbers(readPublicKey(read('ec.crt')));
    const b = ecNumbers(readPrivateKey(read('ec8.key')).publicKey!);
    expect(a).toEqual(b);
    const jwk = nodeCrypto.createPublicKey(read('ec.crt')).export({ format: 'jwk' });
    expect(a.x).toBe(BigInt('0x' + Buffer.from(jwk.x!, 'base64url').toString('hex')));
  });

  it('refuses what it cannot use, with a typed error', () => {
    expect(() => readPrivateKey('nothing')).toThrow(/no PEM private key block/);
    expect(() => readPublicKey('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow(/not a usable key/);
  });
});
if (!OPENSSL) skipped('crypto keys and signatures', 'openssl is not installed');
