import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { UimgError, concatBytes, decompress, extractIkconfig, findLinuxBanner, findPayloads, type Compression } from '../src/index.js';
import { STREAMS, junk } from './compressed-streams.js';
import { fixture } from './helpers.js';

const INPUT = fixture('compressed/input.txt');
const LIMITS = { maxOutputBytes: 1 << 20 };

const DECODABLE = STREAMS.filter((s) => s.format !== 'lzo');
const concat = (...parts: Uint8Array[]) => concatBytes(parts);
const le32 = (n: number) => Uint8Array.of(n, n >>> 8, n >>> 16, n >>> 24);
const ascii = (s: string) => new TextEncoder().encode(s);

/** Magics followed by garbage, as in the ARM decompressor's rodata (a bare xz magic, a gzip id + deflate method). */
const DECOYS: { format: Compression; bytes: Uint8Array }[] = [
  { format: 'xz', bytes: concat(Uint8Array.of(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00), ascii('XZ_OPTIONS_ERROR corrupt'), junk(40, 1)) },
  { format: 'gzip', bytes: concat(Uint8Array.of(0x1f, 0x8b, 0x08), junk(60, 2)) },
  { format: 'gzip', bytes: concat(Uint8Array.of(0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 2, 3), junk(60, 3)) },
  { format: 'bzip2', bytes: concat(ascii('BZh91AY&SY'), junk(60, 4)) },
  { format: 'zstd', bytes: concat(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd), junk(60, 5)) },
  { format: 'lz4', bytes: concat(Uint8Array.of(0x02, 0x21, 0x4c, 0x18), le32(30), junk(60, 6)) },
  { format: 'lzo', bytes: concat(Uint8Array.of(0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a), junk(60, 7)) },
  { format: 'lzma', bytes: concat(Uint8Array.of(0x5d, 0, 0, 0, 4, 1, 2, 3, 4, 0, 0, 0, 0, 0), junk(60, 8)) },
];

async function failure(p: Promise<unknown>): Promise<UimgError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(UimgError);
    return e as UimgError;
  }
  throw new Error('expected a UimgError, but it resolved');
}

describe('decompress: fixtures made by the real tools', () => {
  it.each(DECODABLE)('$file decompresses to the known input, using the whole file', async ({ file, format }) => {
    const stream = fixture(`compressed/${file}`);
    const { data, consumed } = await decompress(format, stream, LIMITS);
    expect(Buffer.from(data).equals(Buffer.from(INPUT))).toBe(true);
    if (consumed !== undefined) expect(consumed).toBe(stream.length);
  });

  it.each(DECODABLE)('$file: bytes after the stream (the size the kernel appends, then junk) are left alone', async ({ file, format }) => {
    const stream = fixture(`compressed/${file}`);
    // An lz4 legacy frame has no end marker: it ends where its container says, so give it the appended size only.
    const tail = format === 'lz4' ? le32(INPUT.length) : concat(le32(INPUT.length), junk(301, 9));
    const { data } = await decompress(format, concat(stream, tail), LIMITS);
    expect(data.length).toBe(INPUT.length);
  });

  it('lzo is found and checked, but decompression is reported unsupported', async () => {
    const e = await failure(decompress('lzo', fixture('compressed/input.txt.lzo'), LIMITS));
    expect(e.code).toBe('UNSUPPORTED_COMPRESSION');
    expect(e.hint).toMatch(/lzop -d/);
  });

  it('an unknown format name is unsupported', async () => {
    expect((await failure(decompress('brotli' as Compression, INPUT, LIMITS))).code).toBe('UNSUPPORTED_COMPRESSION');
  });

  it.each(DECODABLE)('$file cut in half: TRUNCATED', async ({ file, format }) => {
    const stream = fixture(`compressed/${file}`);
    const e = await failure(decompress(format, stream.subarray(0, stream.length >> 1), LIMITS));
    expect(e.code).toBe('TRUNCATED');
  });

  it.each([
    { file: 'input.txt.xz', format: 'xz' as const },
    { file: 'input.txt.gz', format: 'gzip' as const },
    { file: 'input.txt.bz2', format: 'bzip2' as const },
    { file: 'input.txt.zst', format: 'zstd' as const },
  ])('$file with a damaged byte in its data: CORRUPT_STREAM', async ({ file, format }) => {
    const stream = fixture(`compressed/${file}`).slice();
    stream[stream.length >> 1] ^= 0x55;
    const e = await failure(decompress(format, stream, LIMITS));
    expect(e.code).toBe('CORRUPT_STREAM');
    expect(e.message).toMatch(new RegExp(`corrupt ${format} stream`));
  });

  it('a stream that is not of the named format: CORRUPT_STREAM at offset 0', async () => {
    const e = await failure(decompress('xz', fixture('compressed/input.txt.gz'), LIMITS));
    expect(e).toMatchObject({ code: 'CORRUPT_STREAM', data: { offset: 0 } });
  });
});

describe('decompress: limits', () => {
  it.each(DECODABLE)('$file over maxOutputBytes: SIZE_LIMIT', async ({ file, format }) => {
    const e = await failure(decompress(format, fixture(`compressed/${file}`), { maxOutputBytes: 1000 }));
    expect(e.code).toBe('SIZE_LIMIT');
    expect(e.data.expected).toBe(1000);
  });

  it('a size recorded in the headers (xz index, zstd frame header) fails before decoding', async () => {
    for (const [format, file] of [['xz', 'input.txt.xz'], ['zstd', 'input.txt.zst']] as const) {
      const e = await failure(decompress(format, fixture(`compressed/${file}`), { maxOutputBytes: 1000 }));
      expect(e.data).toMatchObject({ expected: 1000, actual: INPUT.length });
    }
  });

  it('an aborted signal: ABORTED', async () => {
    const controller = new AbortController();
    controller.abort();
    const e = await failure(decompress('gzip', fixture('compressed/input.txt.gz'), { ...LIMITS, signal: controller.signal }));
    expect(e.code).toBe('ABORTED');
  });

  const bomb = gzipSync(new Uint8Array(64 << 20)); // 64 MiB of zeros in 64 KiB

  it('a timeout during a long decode: TIMED_OUT, without waiting for the end', async () => {
    const e = await failure(decompress('gzip', bomb, { maxOutputBytes: 128 << 20, signal: AbortSignal.timeout(1) }));
    expect(e.code).toBe('TIMED_OUT');
    expect(e.data.actual).toBeLessThan(64 << 20);
  });

  it('a decompression bomb stops at the limit', async () => {
    const e = await failure(decompress('gzip', bomb, { maxOutputBytes: 1 << 20 }));
    expect(e.code).toBe('SIZE_LIMIT');
  });

  it('a bad limit is a BAD_VALUE', async () => {
    expect((await failure(decompress('gzip', INPUT, { maxOutputBytes: -1 }))).code).toBe('BAD_VALUE');
  });
});

describe('findPayloads', () => {
  it.each(STREAMS)('$file alone: one validated stream at 0', ({ file, format }) => {
    const found = findPayloads(fixture(`compressed/${file}`));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ format, offset: 0, confidence: 'validated' });
  });

  it('reports the sizes the formats record', () => {
    const whole = (file: string) => findPayloads(fixture(`compressed/${file}`))[0];
    const n = INPUT.length;
    expect(whole('input.txt.xz')).toMatchObject({ compressedLength: 768, uncompressedSize: n, sizeSource: 'xz-index' });
    expect(whole('input.txt.zst')).toMatchObject({ compressedLength: 938, uncompressedSize: n, sizeSource: 'zstd-frame-header' });
    expect(whole('input.txt.stdin.zst')).toEqual({ format: 'zstd', offset: 0, compressedLength: 826, confidence: 'validated' });
    expect(whole('input.txt.lzo')).toMatchObject({ compressedLength: 3266, uncompressedSize: n, sizeSource: 'lzop-blocks' });
    const crc32Lzo = fixture('compressed/input.txt.crc32.lzo');
    expect(whole('input.txt.crc32.lzo')).toMatchObject({ compressedLength: crc32Lzo.length, uncompressedSize: n, sizeSource: 'lzop-blocks' });
    expect(whole('input.txt.lzma')).toEqual({ format: 'lzma', offset: 0, confidence: 'validated' });
    expect(whole('input.txt.lz4')).toMatchObject({ compressedLength: 4005 });
    // gzip records ISIZE at its end: read when the caller gives the end.
    const gz = fixture('compressed/input.txt.gz');
    expect(findPayloads(gz)[0]!.uncompressedSize).toBeUndefined();
    expect(findPayloads(gz, { end: gz.length })[0]).toMatchObject({ compressedLength: gz.length, uncompressedSize: n, sizeSource: 'gzip-isize' });
  });

  it.each(STREAMS)('$file embedded at an odd offset in junk, behind decoys: found, decoys rejected', async ({ file, format }) => {
    const stream = fixture(`compressed/${file}`);
    const before = concat(junk(1237, 10), ...DECOYS.map((d) => concat(d.bytes, junk(17, 11))));
    const image = concat(before, stream, le32(INPUT.length), junk(999, 12));
    const found = findPayloads(image);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ format, offset: before.length, confidence: 'validated' });

    const all = findPayloads(image, { includeUnvalidated: true });
    expect(all[0]).toEqual(found[0]);
    expect(all.slice(1).every((c) => c.confidence === 'magic-only' && c.offset < before.length)).toBe(true);
    expect(all.length).toBeGreaterThanOrEqual(1 + DECOYS.length);

    if (format !== 'lzo') {
      const payload = image.subarray(before.length, format === 'lz4' ? before.length + stream.length + 4 : undefined);
      const { data } = await decompress(format, payload, LIMITS);
      expect(data.length).toBe(INPUT.length);
    }
  });

  it.each(DECOYS)('a lone $format decoy is not validated', ({ bytes }) => {
    expect(findPayloads(bytes)).toEqual([]);
    expect(findPayloads(bytes, { includeUnvalidated: true })[0]).toMatchObject({ offset: 0, confidence: 'magic-only' });
  });

  it('an xz stream header with a damaged block header CRC is not validated', () => {
    const xz = fixture('compressed/input.txt.xz').slice();
    xz[12 + 3] ^= 1;
    expect(findPayloads(xz)).toEqual([]);
  });

  it('an lzma header with a recorded size is too weak alone: magic-only in a scan, but it decompresses', async () => {
    const lzma = fixture('compressed/input.txt.lzma').slice();
    lzma.set([...le32(INPUT.length), 0, 0, 0, 0], 5);
    expect(findPayloads(lzma)).toEqual([]);
    expect((await decompress('lzma', lzma, LIMITS)).data.length).toBe(INPUT.length);
  });

  it('start, end and maxCandidates bound the scan', () => {
    const gz = fixture('compressed/input.txt.gz');
    const xz = fixture('compressed/input.txt.xz');
    const image = concat(junk(100, 13), gz, junk(51, 14), xz, junk(10, 15));
    const xzAt = 100 + gz.length + 51;
    expect(findPayloads(image).map((c) => [c.format, c.offset])).toEqual([['gzip', 100], ['xz', xzAt]]);
    expect(findPayloads(image, { maxCandidates: 1 }).map((c) => c.format)).toEqual(['gzip']);
    expect(findPayloads(image, { start: 101 }).map((c) => c.format)).toEqual(['xz']);
    expect(findPayloads(image, { end: xzAt + 20 }).map((c) => c.format)).toEqual(['gzip']);
    // The caller's end is taken as the end of the last stream whose end is not otherwise known.
    expect(findPayloads(image, { end: 100 + gz.length })).toEqual([
      { format: 'gzip', offset: 100, compressedLength: gz.length, uncompressedSize: INPUT.length, sizeSource: 'gzip-isize', confidence: 'validated' },
    ]);
  });

  it('hits inside a validated stream of known length are skipped', () => {
    // A zstd frame with one raw (stored) block holding a gzip stream: the gzip bytes sit inside the zstd stream.
    const gz = fixture('compressed/input.txt.gz');
    const content = concat(junk(100, 16), gz);
    const header = Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0x60, (content.length - 256) & 0xff, (content.length - 256) >> 8);
    const rawLastBlock = 1 | (content.length << 3);
    const zstd = concat(header, Uint8Array.of(rawLastBlock, rawLastBlock >> 8, rawLastBlock >> 16), content);
    expect(findPayloads(concat(zstd, junk(10, 17)))).toEqual([
      { format: 'zstd', offset: 0, compressedLength: zstd.length, uncompressedSize: content.length, sizeSource: 'zstd-frame-header', confidence: 'validated' },
    ]);
    expect(findPayloads(gz)).toHaveLength(1);
  });
});

describe('findLinuxBanner', () => {
  it('takes the real banner (#<n>), not the 6.1 placeholder before it', () => {
    expect(findLinuxBanner(INPUT)).toBe('Linux version 6.1.0-uimg (builder@example) (gcc-12 (Debian 12.2.0) 12.2.0) #42 SMP PREEMPT Debian 6.1.0-1');
  });

  it('falls back to the last banner when none has a build number; ignores non-text and /proc/version formats', () => {
    const placeholder = 'Linux version 5.10.0 (a@b) (gcc) # SMP';
    const bytes = concat(ascii('%s version %s (%s)\0Linux version 9'), Uint8Array.of(1, 2), ascii(`\0${placeholder}\n\0`));
    expect(findLinuxBanner(bytes)).toBe(placeholder);
    expect(findLinuxBanner(junk(5000, 17))).toBeUndefined();
  });
});

describe('extractIkconfig', () => {
  const config = '#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_IKCONFIG=y\nCONFIG_KERNEL_XZ=y\n';

  it('reads the gzip between IKCFG_ST and IKCFG_ED', async () => {
    const vmlinux = concat(junk(333, 18), ascii('IKCFG_ST'), gzipSync(ascii(config), { level: 9 }), ascii('IKCFG_ED'), junk(77, 19));
    expect(await extractIkconfig(vmlinux, LIMITS)).toBe(config);
  });

  it('undefined when there is none, or only a marker string without gzip data', async () => {
    expect(await extractIkconfig(INPUT, LIMITS)).toBeUndefined();
    expect(await extractIkconfig(concat(ascii('"IKCFG_ST" marks the config'), junk(40, 20), ascii('IKCFG_ED')), LIMITS)).toBeUndefined();
  });

  it('a damaged config stream is a typed error; its size is limited', async () => {
    const gz = gzipSync(ascii(config.repeat(100)));
    const damaged = gz.slice();
    damaged[gz.length >> 1] ^= 0xff;
    const wrap = (g: Uint8Array) => concat(ascii('IKCFG_ST'), g, ascii('IKCFG_ED'));
    expect((await failure(extractIkconfig(wrap(damaged), LIMITS))).code).toBe('CORRUPT_STREAM');
    expect((await failure(extractIkconfig(wrap(gz), { maxOutputBytes: 100 }))).code).toBe('SIZE_LIMIT');
  });
});
