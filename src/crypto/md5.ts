/**
 * MD5 (RFC 1321) for runtimes whose WebCrypto has none; incremental, so a large image is hashed chunk by chunk.
 * FIT hash nodes may still use it (`algo = "md5"`), so the browser needs it too.
 */
import type { Hasher } from './types.js';

const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);

export function md5Hasher(): Hasher {
  const state = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);
  const block = new Uint8Array(64);
  const words = new Uint32Array(16);
  let filled = 0;
  let total = 0;

  const compress = (b: Uint8Array, at: number) => {
    for (let i = 0; i < 16; i++) {
      const o = at + i * 4;
      words[i] = (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
    }
    let a = state[0]!, bb = state[1]!, c = state[2]!, d = state[3]!;
    for (let i = 0; i < 64; i++) {
      let f: number, g: number;
      const round = i >> 4;
      if (round === 0) { f = (bb & c) | (~bb & d); g = i; }
      else if (round === 1) { f = (d & bb) | (~d & c); g = (5 * i + 1) & 15; }
      else if (round === 2) { f = bb ^ c ^ d; g = (3 * i + 5) & 15; }
      else { f = c ^ (bb | ~d); g = (7 * i) & 15; }
      const s = S[(round << 2) | (i & 3)]!;
      const sum = (a + f + K[i]! + words[g]!) >>> 0;
      a = d;
      d = c;
      c = bb;
      bb = (bb + ((sum << s) | (sum >>> (32 - s)))) >>> 0;
    }
    state[0] = (state[0]! + a) >>> 0;
    state[1] = (state[1]! + bb) >>> 0;
    state[2] = (state[2]! + c) >>> 0;
    state[3] = (state[3]! + d) >>> 0;
  };

  const update = (chunk: Uint8Array) => {
    total += chunk.length;
    let at = 0;
    if (filled > 0) {
      const take = Math.min(64 - filled, chunk.length);
      block.set(chunk.subarray(0, take), filled);
      filled += take;
      at = take;
      if (filled < 64) return;
      compress(block, 0);
      filled = 0;
    }
    for (; at + 64 <= chunk.length; at += 64) compress(chunk, at);
    block.set(chunk.subarray(at), 0);
    filled = chunk.length - at;
  };

  return {
    update,
    async digest() {
      const bits = BigInt(total) * 8n;
      const pad = new Uint8Array(((filled < 56 ? 56 : 120) - filled) + 8);
      pad[0] = 0x80;
      for (let i = 0; i < 8; i++) pad[pad.length - 8 + i] = Number((bits >> BigInt(8 * i)) & 0xffn);
      update(pad);
      const out = new Uint8Array(16);
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) out[i * 4 + j] = (state[i]! >>> (8 * j)) & 0xff;
      return out;
    },
  };
}
