/**
 * The public-key node mkimage -K writes into a control DTB (fit.md §5.5): `/signature/key-NAME` with the numbers
 * U-Boot's RSA verifier precomputes (modulus, r² mod n, −n⁻¹ mod 2³², exponent as u64), or for ECDSA the curve and
 * point. Properties are set in mkimage's order, each inserted first, so the file shows them reversed.
 */
import type { EcPublicNumbers, RsaPublicNumbers } from '../../crypto/keys.js';
import { cstring, nodeAt, subnode, u32, type FdtBlob, type NodeRef } from './blob.js';

/** A number as `words` big-endian u32 cells (the low `32·words` bits), as fdt_add_bignum writes it. */
export function bignumCells(n: bigint, bits: number): Uint8Array {
  const size = Math.floor(bits / 32) * 4;
  const out = new Uint8Array(size);
  let v = n;
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export interface RsaKeyNumbers {
  numBits: number;
  n0Inverse: number;
  exponent: bigint;
  modulus: Uint8Array;
  rSquared: Uint8Array;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [a % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

/** rsa_get_params: what the boot loader needs to verify without division. */
export function rsaKeyNumbers(key: RsaPublicNumbers): RsaKeyNumbers {
  const bits = key.bits;
  const two32 = 1n << 32n;
  const n0Inverse = Number((two32 - modInverse(key.modulus % two32, two32)) % two32);
  const rSquared = (1n << BigInt(2 * bits)) % key.modulus;
  return { numBits: bits, n0Inverse, exponent: key.exponent, modulus: bignumCells(key.modulus, bits), rSquared: bignumCells(rSquared, bits) };
}

function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  for (let i = 7; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

/** Find or make a child of a node, re-reading the tree after the edit (offsets move). */
function ensureChild(dest: FdtBlob, parentPath: string, name: string): NodeRef {
  let parent = nodeAt(dest.tree(), parentPath)!;
  if (!subnode(parent, name)) {
    dest.addSubnode(parent, name);
    parent = nodeAt(dest.tree(), parentPath)!;
  }
  return subnode(parent, name)!;
}

/**
 * rsa_add_verify_data: create or update `/signature/key-<keyName>`. Throws NoSpace when the blob is full (the
 * caller retries with more room; what was written so far stays, as in mkimage). Returns the node's path.
 */
export function writeRsaKeyNode(dest: FdtBlob, keyName: string, algoName: string, key: RsaPublicNumbers, required?: string): string {
  const nums = rsaKeyNumbers(key);
  ensureChild(dest, '/', 'signature');
  const nodeName = `key-${keyName}`;
  const path = `/signature/${nodeName}`;
  ensureChild(dest, '/signature', nodeName);
  const set = (name: string, value: Uint8Array) => dest.setProp(nodeAt(dest.tree(), path)!, name, value);
  set('key-name-hint', cstring(keyName));
  set('rsa,num-bits', u32(nums.numBits));
  set('rsa,n0-inverse', u32(nums.n0Inverse));
  set('rsa,exponent', u64(nums.exponent));
  set('rsa,modulus', nums.modulus);
  set('rsa,r-squared', nums.rSquared);
  set('algo', cstring(algoName));
  if (required) set('required', cstring(required));
  return path;
}

export type EcKeyResult = { path: string } | { error: string; code: number };

/**
 * ecdsa_add_verify_data as 2023.01 has it: `/signature` must exist already, the node is named after the key name
 * itself (no `key-` prefix, no algo or required), and an existing node is an error (FDT_ERR_EXISTS).
 */
export function writeEcKeyNode(dest: FdtBlob, keyName: string, key: EcPublicNumbers): EcKeyResult {
  const sig = subnode(dest.tree(), 'signature');
  if (!sig) return { error: `Could not find 'signature node: FDT_ERR_NOTFOUND`, code: -1 };
  if (sig.children.some((c) => c.name === keyName)) return { error: `Could not create '${keyName}' node: FDT_ERR_EXISTS`, code: -2 };
  dest.addSubnode(sig, keyName);
  const path = `/signature/${keyName}`;
  const curveName = key.curve === 'P-256' ? 'prime256v1' : key.curve === 'P-384' ? 'secp384r1' : 'secp521r1';
  const set = (name: string, value: Uint8Array) => dest.setProp(nodeAt(dest.tree(), path)!, name, value);
  set('ecdsa,curve', cstring(curveName));
  set('ecdsa,x-point', bignumCells(key.x, key.bits));
  set('ecdsa,y-point', bignumCells(key.y, key.bits));
  return { path };
}
