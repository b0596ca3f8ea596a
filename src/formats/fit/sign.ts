/**
 * FIT signatures as U-Boot 2023.01 computes them: the `algo` names ("sha256,rsa2048"), the bytes an image signature
 * covers (the image data) and those a configuration signature covers (fdt_find_regions over the nodes listed in
 * `hashed-nodes`, without data properties, then the first `hashed-strings` bytes of the strings block). The region
 * walk is shared by signing and verification, so both always hash the same bytes.
 */
import { readU32BE } from '../../bytes/endian.js';
import { UimgError } from '../../errors.js';
import type { SignatureParams, SignatureScheme } from '../../crypto/types.js';
import { TOKENS, type FdtBlob } from './blob.js';
import { Rope } from './rope.js';

export const CHECKSUMS = ['sha1', 'sha256', 'sha384', 'sha512'] as const;
/** Crypto names mkimage 2023.01 knows (`ecdsa384` came later; the library signs with it for `uimg sign`). */
export const MKIMAGE_CRYPTOS = ['rsa2048', 'rsa3072', 'rsa4096', 'ecdsa256'] as const;
export const CRYPTOS = [...MKIMAGE_CRYPTOS, 'ecdsa384'] as const;

export interface SignatureAlgo {
  checksum: (typeof CHECKSUMS)[number];
  crypto: (typeof CRYPTOS)[number];
  kind: 'rsa' | 'ec';
  /** Key size the name implies (RSA bits, EC order bits). */
  bits: number;
}

/**
 * image_get_checksum_algo + image_get_crypto_algo: the checksum is the text before the first comma, the crypto name
 * what follows it; undefined when either is unknown.
 */
export function parseSignatureAlgo(name: string, cryptos: readonly string[] = CRYPTOS): SignatureAlgo | undefined {
  const checksum = CHECKSUMS.find((c) => name.startsWith(c) && name[c.length] === ',');
  const comma = name.indexOf(',');
  const crypto = comma < 0 ? undefined : name.slice(comma + 1);
  if (!checksum || !crypto || !cryptos.includes(crypto)) return undefined;
  const c = crypto as SignatureAlgo['crypto'];
  return { checksum, crypto: c, kind: c.startsWith('rsa') ? 'rsa' : 'ec', bits: Number(c.replace(/^\D+/, '')) };
}

export function signatureParams(algo: SignatureAlgo, padding: string | undefined): SignatureParams {
  const scheme: SignatureScheme = algo.kind === 'ec' ? 'ecdsa' : padding === 'pss' ? 'pss' : 'pkcs1';
  return { digest: algo.checksum, scheme };
}

/** Properties a configuration signature never covers: image data may move (-E) without breaking it. */
export const EXCLUDED_PROPS = ['data', 'data-size', 'data-position', 'data-offset'];

export interface Region {
  offset: number;
  size: number;
}

/**
 * fdt_find_regions with U-Boot's FIT arguments: the regions of the structure block to hash for the listed node
 * paths, the last one (the END token) extended by `stringsSize` bytes of the strings block. Offsets are absolute.
 */
export function fitRegions(blob: FdtBlob, include: readonly string[], stringsSize = blob.h.sizeStrings): Region[] {
  const base = blob.h.offStruct;
  const structSize = blob.h.sizeStruct;
  const strings = blob.strings();
  const word = (rel: number) => {
    if (rel + 4 > structSize) throw new UimgError('MALFORMED', `the structure block ends inside a token at ${base + rel}`, { offset: base + rel });
    return readU32BE(blob.rope.read(base + rel, 4), 0);
  };
  const nameOf = (off: number) => {
    let e = off;
    while (e < strings.length && strings[e] !== 0) e++;
    if (off >= strings.length) throw new UimgError('MALFORMED', `a property name offset ${off} lies outside the strings block`, { offset: off });
    return new TextDecoder().decode(strings.subarray(off, e));
  };
  const regions: Region[] = [];
  const stack: number[] = [];
  const path: string[] = [];
  let next = 0, start = -1, depth = -1, want = 0;
  let expectEnd = false;
  let tag: number;
  do {
    const offset = next;
    tag = word(offset);
    let include = 0;
    let nodeName = '';
    if (tag === TOKENS.BEGIN_NODE) {
      let p = base + offset + 4;
      const name: number[] = [];
      for (;;) {
        if (p >= base + structSize) throw new UimgError('MALFORMED', `a node name at ${base + offset} runs past the structure block`, { offset: base + offset });
        const b = blob.rope.read(p++, 1)[0]!;
        if (b === 0) break;
        name.push(b);
      }
      next = ((p - base) + 3) & ~3;
      nodeName = new TextDecoder().decode(new Uint8Array(name));
    } else if (tag === TOKENS.PROP) next = (offset + 12 + word(offset + 4) + 3) & ~3;
    else if (tag === TOKENS.END_NODE || tag === TOKENS.NOP || tag === TOKENS.END) next = offset + 4;
    else throw new UimgError('MALFORMED', `bad token ${tag} at ${base + offset}`, { offset: base + offset });
    let stopAt = next;
    if (expectEnd && tag !== TOKENS.END) throw new UimgError('MALFORMED', `a second root node at ${base + offset}`, { offset: base + offset }, 'a FIT has exactly one root node');
    switch (tag) {
      case TOKENS.PROP:
        include = want >= 2 ? 1 : 0;
        stopAt = offset;
        if (EXCLUDED_PROPS.includes(nameOf(word(offset + 8)))) include = 0;
        break;
      case TOKENS.NOP:
        include = want >= 2 ? 1 : 0;
        stopAt = offset;
        break;
      case TOKENS.BEGIN_NODE: {
        depth++;
        if (depth >= 32) throw new UimgError('MALFORMED', 'nodes nested deeper than 32', { offset: base + offset });
        if (depth === 0 && nodeName) throw new UimgError('MALFORMED', 'the root node has a name', { offset: base + offset });
        path.push(nodeName);
        const full = depth === 0 ? '/' : '/' + path.slice(1).join('/');
        stack[depth] = want;
        if (want === 1) stopAt = offset;
        if (include_(full)) want = 2;
        else if (want) want--;
        else stopAt = offset;
        include = want;
        break;
      }
      case TOKENS.END_NODE:
        if (depth < 0) throw new UimgError('MALFORMED', 'an END_NODE without a node', { offset: base + offset });
        include = want;
        want = stack[depth--]!;
        path.pop();
        if (depth === -1) expectEnd = true;
        break;
      case TOKENS.END:
        include = 1;
        break;
    }
    if (include && start === -1) {
      const last = regions[regions.length - 1];
      if (last && offset === last.offset + last.size) {
        start = last.offset;
        regions.pop();
      } else start = offset;
    }
    if (!include && start !== -1) {
      regions.push({ offset: start, size: stopAt - start });
      start = -1;
    }
  } while (tag !== TOKENS.END);
  if (next !== structSize) throw new UimgError('MALFORMED', `the END token at ${base + next - 4} is not the end of the structure block`, { offset: base + next });
  regions.push({ offset: start, size: next - start + stringsSize });
  return regions.map((r) => ({ offset: r.offset + base, size: r.size }));

  function include_(p: string): boolean {
    return include.includes(p);
  }
}

/** The bytes of some regions, in order (tree bytes only: data properties are never in a region). */
export function regionBytes(blob: FdtBlob, regions: readonly Region[]): Rope {
  return Rope.of(...regions.map((r) => blob.rope.slice(r.offset, r.offset + r.size)));
}
