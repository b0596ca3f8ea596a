/**
 * The compressed payloads of real Debian 12 kernels, checked against values read here from the kernels' own headers
 * (kernel-formats.md §1.2, §1.3, §2.3) and against the real `xz -dc` on the same bytes.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decompress, findLinuxBanner, findPayloads } from '../src/index.js';
import { debianAmd64BzImage, debianArmmpZImage } from './debian-files.js';
import { hasTool } from './helpers.js';
import { skipTest, skipUnless } from './skip.js';

const le32 = (b: Uint8Array, at: number) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).readUInt32LE(at);
const LIMITS = { maxOutputBytes: 256 << 20 };

/** What the real xz makes of these bytes. */
function xzDecompress(bytes: Uint8Array): Buffer {
  const r = spawnSync('xz', ['-dc'], { input: bytes, maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`xz -dc failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** The real banner, found with a plain regex (a digit after "Linux version ", "#<n>" after a ") "). */
function bannerIn(image: Buffer): string | undefined {
  for (let at = image.indexOf('Linux version '); at >= 0; at = image.indexOf('Linux version ', at + 1)) {
    const match = /^Linux version \d[^\n\0]*\) #\d+[^\n\0]*/.exec(image.subarray(at, at + 1024).toString('latin1'));
    if (match) return match[0];
  }
  return undefined;
}

describe.skipIf(skipUnless(hasTool('xz'), 'compressed-debian', 'xz not found (apt-get install xz-utils)'))('compressed payloads of the Debian 12 kernels', () => {
  it('armmp zImage: the xz stream behind the decoy, its size from the size tag, the banner', async (ctx) => {
    const path = await debianArmmpZImage();
    if (typeof path !== 'string') return skipTest(ctx, 'compressed-debian', path.skip);
    const bytes = new Uint8Array(readFileSync(path));
    // The size tag (§1.2): table offset at 0x38, tag "KLSZ" at +4, size_ptr at +8; the payload ends at size_ptr.
    const table = le32(bytes, 0x38);
    expect(le32(bytes, table + 4)).toBe(0x5a534c4b);
    const sizePtr = le32(bytes, table + 8);
    expect(sizePtr).toBe(0x531871);
    const imageSize = le32(bytes, sizePtr);
    expect(imageSize).toBe(20_582_580);

    const [first, ...rest] = findPayloads(bytes, { start: table, end: sizePtr, includeUnvalidated: true });
    expect(first).toEqual({
      format: 'xz', offset: 0xe6a5, compressedLength: sizePtr - 0xe6a5, uncompressedSize: imageSize, sizeSource: 'xz-index', confidence: 'validated',
    });
    expect(rest).toContainEqual({ format: 'xz', offset: 0xd928, confidence: 'magic-only' }); // the decoy in rodata
    expect(findPayloads(bytes, { maxCandidates: 1 })).toEqual([first]); // the whole file, no hints

    const payload = bytes.subarray(0xe6a5, sizePtr);
    const expected = xzDecompress(payload);
    const { data, consumed } = await decompress('xz', payload, LIMITS);
    expect(consumed).toBe(payload.length);
    expect(data.length).toBe(imageSize);
    expect(Buffer.from(data.buffer, data.byteOffset, data.length).equals(expected)).toBe(true);
    const banner = bannerIn(expected);
    expect(banner).toMatch(/^Linux version 6\.1\.0-\d+-armmp .* #1 SMP Debian /);
    expect(findLinuxBanner(data)).toBe(banner);
  });

  it('amd64 bzImage: the xz payload at (setup_sects + 1) * 512 + payload_offset, the banner', async (ctx) => {
    const path = await debianAmd64BzImage();
    if (typeof path !== 'string') return skipTest(ctx, 'compressed-debian', path.skip);
    const bytes = new Uint8Array(readFileSync(path));
    // §2.3: setup_sects at 0x1F1 (0 means 4), payload_offset/length at 0x248/0x24C from the protected-mode code.
    const setupSects = bytes[0x1f1] || 4;
    const start = (setupSects + 1) * 512 + le32(bytes, 0x248);
    const length = le32(bytes, 0x24c);
    expect(start).toBe(0x52cc);
    const imageSize = le32(bytes, start + length - 4); // the size the build appends after the xz stream
    expect(imageSize).toBe(65_905_060);

    const [first] = findPayloads(bytes);
    expect(first).toEqual({
      format: 'xz', offset: start, compressedLength: length - 4, uncompressedSize: imageSize, sizeSource: 'xz-index', confidence: 'validated',
    });

    const payload = bytes.subarray(start, start + length);
    const expected = xzDecompress(payload.subarray(0, length - 4));
    const { data, consumed } = await decompress('xz', payload, LIMITS);
    expect(consumed).toBe(length - 4);
    expect(Buffer.from(data.buffer, data.byteOffset, data.length).equals(expected)).toBe(true);
    expect(data.subarray(0, 4)).toEqual(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46)); // an ELF vmlinux
    const banner = bannerIn(expected);
    expect(banner).toMatch(/^Linux version 6\.1\.0-\d+-amd64 .* #1 SMP PREEMPT_DYNAMIC Debian /);
    expect(findLinuxBanner(data)).toBe(banner);
  });
});
