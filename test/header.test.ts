import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HEADER_SIZE, UimgError, buildImage, checkHeader, crc32, decodeHeader, encodeHeader, fromBytes, nameField, problemsOf,
  readImage, verifyImage,
} from '../src/index.js';
import { fixture } from './helpers.js';

const arbHeader = fc.record({
  time: fc.nat({ max: 0xffffffff }), dataSize: fc.nat({ max: 0xffffffff }), load: fc.nat({ max: 0xffffffff }),
  entry: fc.nat({ max: 0xffffffff }), dataCrc: fc.nat({ max: 0xffffffff }),
  os: fc.nat({ max: 255 }), arch: fc.nat({ max: 255 }), type: fc.nat({ max: 255 }), comp: fc.nat({ max: 255 }),
  nameBytes: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});

describe('header codec', () => {
  it('CRC-32 is the zlib one', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const a = new TextEncoder().encode('1234'), b = new TextEncoder().encode('56789');
    expect(crc32(b, crc32(a))).toBe(0xcbf43926);
  });

  it('decodes the golden kernel header field by field', () => {
    const h = decodeHeader(fixture('mkimage/tv1.img'));
    expect(h).toMatchObject({ magic: 0x27051956, headerCrc: 0xfd569c77, time: 1700000000, dataSize: 12, load: 0x80008000,
      entry: 0x80008000, dataCrc: 0xaf083b2d, os: 5, arch: 2, type: 2, comp: 0 });
  });

  it('decode(encode(h)) is h, for any field values', () => {
    fc.assert(fc.property(arbHeader, (h) => {
      const bytes = encodeHeader(h);
      expect(bytes.length).toBe(HEADER_SIZE);
      const back = decodeHeader(bytes);
      expect({ ...back, nameBytes: Array.from(back.nameBytes) }).toMatchObject({ ...h, nameBytes: Array.from(h.nameBytes) });
      expect(() => checkHeader(back, bytes)).not.toThrow();
    }));
  });

  it('any flipped header byte is caught (bad magic or header CRC)', async () => {
    const image = fixture('mkimage/tv1.img');
    fc.assert(fc.property(fc.nat({ max: HEADER_SIZE - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
      const bad = image.slice();
      bad[at]! ^= xor;
      const h = decodeHeader(bad);
      expect(() => checkHeader(h, bad)).toThrow(UimgError);
    }));
  });

  it('any flipped payload byte is a data CRC mismatch', async () => {
    const image = fixture('mkimage/ramdisk.img');
    await fc.assert(fc.asyncProperty(fc.nat({ max: image.length - HEADER_SIZE - 1 }), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
      const bad = image.slice();
      bad[HEADER_SIZE + at]! ^= xor;
      const codes = problemsOf(await readImage(fromBytes(bad))).map((e) => e.code);
      expect(codes).toEqual(['DATA_CRC_MISMATCH']);
    }), { numRuns: 50 });
  });

  it('fills the name field like mkimage: 32 bytes, no terminator at 32+', () => {
    expect(Array.from(nameField('ab').subarray(0, 3))).toEqual([0x61, 0x62, 0]);
    expect(nameField('x'.repeat(40))).toEqual(new Uint8Array(32).fill(0x78));
  });

  it('reports truncation, trailing bytes and checks in order', async () => {
    const image = fixture('mkimage/tv1.img');
    const short = image.subarray(0, image.length - 1);
    await expect(verifyImage(fromBytes(short))).rejects.toMatchObject({ code: 'TRUNCATED', data: { field: 'ih_size' } });
    const padded = new Uint8Array(image.length + 3);
    padded.set(image);
    await expect(verifyImage(fromBytes(padded))).rejects.toMatchObject({ code: 'TRAILING_BYTES' });
    await expect(verifyImage(fromBytes(padded), { allowTrailing: true })).resolves.toBeTruthy();
    expect(() => decodeHeader(image.subarray(0, 63))).toThrow(expect.objectContaining({ code: 'TRUNCATED' }));
  });

  it('round-trips whole images: build, read, parts', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 5 }),
      fc.constantFrom(4, 6), async (parts, type) => {
        const image = await buildImage({ arch: 2, os: 5, type, comp: 0, load: 0, time: 0, parts });
        const r = await verifyImage(fromBytes(image));
        expect(r.subImages!.map((s) => Array.from(image.subarray(s.offset, s.offset + s.size)))).toEqual(parts.map((p) => Array.from(p)));
      }), { numRuns: 60 });
  });
});
