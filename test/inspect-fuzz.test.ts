/**
 * Damaged input: truncations and byte flips of every fixture and of the Debian kernels end in findings or a clean
 * UimgError, never another exception or a hang. And header-only inspection reads the same few KiB whatever the
 * file's size.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBytes, type ByteSource } from '../src/bytes/source.js';
import { isUimgError } from '../src/errors.js';
import { inspect, type InspectOptions } from '../src/inspect/inspect.js';
import { allFindings } from '../src/inspect/present.js';
import { debianAmd64BzImage, debianArm64Image, debianArmmpZImage } from './debian-files.js';
import { FIXTURES } from './helpers.js';
import { skipTest } from './skip.js';

const HANG = 20_000;

/** Inspect, and fail on anything but a report or a UimgError, or on taking longer than HANG. */
async function survives(bytes: Uint8Array, opts: InspectOptions = {}): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: no result after ${HANG} ms`)), HANG);
  });
  try {
    await Promise.race([inspect(fromBytes(bytes), { maxBytes: 64 << 20, ...opts }), hang]);
  } catch (e) {
    if (!isUimgError(e)) throw e;
  } finally {
    clearTimeout(timer);
  }
}

const flipped = (b: Uint8Array, at: number, xor: number) => {
  const c = b.slice();
  c[at] ^= xor;
  return c;
};

const fixtures = readdirSync(join(FIXTURES, 'inspect')).filter((n) => /\.(bin|img|dtb|elf|gz)$/.test(n));

describe('damaged fixtures', () => {
  it.each(fixtures)('%s: every truncation, read deep', async (name) => {
    const b = new Uint8Array(readFileSync(join(FIXTURES, 'inspect', name)));
    // Every length through the headers, then a stride through the rest.
    for (let n = 0; n < b.length; n += n < 1200 ? 1 : 61) await survives(b.subarray(0, n), { deep: true });
  }, 120_000);

  it.each(fixtures)('%s: random byte flips, read deep', async (name) => {
    const b = new Uint8Array(readFileSync(join(FIXTURES, 'inspect', name)));
    await fc.assert(fc.asyncProperty(
      fc.nat({ max: b.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.nat({ max: Math.min(b.length - 1, 1100) }),
      async (anywhere, xor, inHeader) => {
        await survives(flipped(b, anywhere, xor), { deep: true });
        await survives(flipped(b, inHeader, xor), { deep: true });
      }), { numRuns: 60, seed: 20260101 });
  }, 120_000);
});

describe('damaged Debian kernels', () => {
  const kernels = { armmp: debianArmmpZImage, arm64: debianArm64Image, amd64: debianAmd64BzImage };
  it.each(Object.keys(kernels))('%s: truncations and flips through the headers and around the payload', async (name, ctx) => {
    const path = await kernels[name as keyof typeof kernels]();
    if (typeof path !== 'string') return skipTest(ctx, 'inspect-fuzz', path.skip);
    const b = new Uint8Array(readFileSync(path));
    // Where the interesting structure lies: the headers, the zImage table and payload start, the payload's end.
    const spots = [0, 0x24, 0x2c, 0x38, 0x1f1, 0x206, 0x248, 0x24c, 0xd4f0, 0xd4f8, 0xe6a5, 0x52cc, b.length - 4, b.length - 100];
    for (const n of [...spots, ...Array.from({ length: 32 }, (_, i) => i * 4096)]) await survives(b.subarray(0, Math.min(n, b.length)));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...spots), fc.nat({ max: 0xffff }), fc.integer({ min: 1, max: 255 }),
      async (spot, delta, xor) => survives(flipped(b, Math.min(b.length - 1, spot + (delta % 64)), xor))), { numRuns: 150, seed: 7 });
    // Deep, a few times: a flip inside the compressed stream must end in a finding.
    for (const at of [0x10000, 0x200000, b.length - 8]) await survives(flipped(b, at, 0x55), { deep: true, maxBytes: 128 << 20 });
  }, 180_000);
});

describe('damage the audit found unreported', () => {
  // Byte flips at the Debian kernels' payload magic, table pointer, size tag and endianness word: each a finding.
  it.each([
    ['armmp', 0xe6a5, 'malformed', 'no compressed kernel in'],
    ['armmp', 0x38, 'ram-size-unknown', 'has no kernel size record'],
    ['armmp', 0xd4f4, 'ram-size-unknown', 'found 0x5a534cb4'],
    ['armmp', 0x30, 'malformed', 'the endianness word at 0x30 is 0x040302fe'],
    ['amd64', 0x52cc, 'malformed', 'is not a compressed stream'],
  ] as const)('%s flipped at %i: %s', async (name, at, rule, text, ctx) => {
    const path = await (name === 'armmp' ? debianArmmpZImage : debianAmd64BzImage)();
    if (typeof path !== 'string') return skipTest(ctx, 'inspect-fuzz', path.skip);
    const report = await inspect(fromBytes(flipped(new Uint8Array(readFileSync(path)), at, 0xff)));
    const found = allFindings(report.root);
    expect(found.map((x) => x.rule)).toContain(rule);
    expect(found.find((x) => x.rule === rule)!.message).toContain(text);
  });
});

/** A source of `size` bytes that are `head` then zeros, counting what is read. */
function virtualSource(head: Uint8Array, size: number): ByteSource & { bytesRead: number } {
  const src = {
    size,
    bytesRead: 0,
    async read(offset: number, length: number) {
      const n = Math.max(0, Math.min(length, size - offset));
      src.bytesRead += n;
      const out = new Uint8Array(n);
      if (offset < head.length) out.set(head.subarray(offset, offset + n));
      return out;
    },
    async *chunks(offset: number, length: number) {
      for (let at = offset; at < offset + length; at += 1 << 20) yield await src.read(at, Math.min(1 << 20, offset + length - at));
    },
  };
  return src;
}

describe('header-only inspection reads what it needs, whatever the size', () => {
  it.each(['uimage-zimage.img', 'zimage-xz.bin', 'image-arm64.bin', 'bzimage.bin', 'board.dtb', 'uimage-multi.img'])('%s', async (name) => {
    const b = new Uint8Array(readFileSync(join(FIXTURES, 'inspect', name)));
    const reads = await Promise.all([1 << 20, 1 << 30, 2 ** 40].map(async (size) => {
      const src = virtualSource(b, size);
      await inspect(src);
      return src.bytesRead;
    }));
    expect(reads[0]).toBeLessThan(512 << 10);
    expect(new Set(reads).size).toBe(1);
  });

  it('reads a few hundred KiB of the 5 MB Debian zImage and of the 33 MB arm64 Image', async (ctx) => {
    for (const get of [debianArmmpZImage, debianArm64Image]) {
      const path = await get();
      if (typeof path !== 'string') return skipTest(ctx, 'inspect-fuzz', path.skip);
      const b = new Uint8Array(readFileSync(path));
      const src = virtualSource(b, b.length);
      await inspect(src);
      expect(src.bytesRead).toBeLessThan(512 << 10);
    }
  });
});
