/**
 * Fuzz: truncated and byte-flipped streams end in a result or a UimgError, never another exception or a hang. Seeded,
 * so a failure reproduces; fast-check prints the shrunk counterexample.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UimgError, decompress, findLinuxBanner, findPayloads, type Compression } from '../src/index.js';
import { STREAMS as ALL_STREAMS } from './compressed-streams.js';
import { fixture } from './helpers.js';

const SEED = 20_260_703;
const RUNS = 120;
/** One stream per format (the plain xz and the piped zstd add little here). */
const STREAMS = ALL_STREAMS.filter((s) => s.file !== 'input.txt.xz' && s.file !== 'input.txt.stdin.zst');

/** Half the time a cut, then up to 4 bytes XORed with a non-zero value (positions wrap around the cut length). */
const arbDamage = fc.record({
  keep: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
  flips: fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { maxLength: 4 }),
});

function damage(stream: Uint8Array, { keep, flips }: fc.RecordValue<{ keep: number; flips: { at: number; xor: number }[] }>): Uint8Array {
  const out = stream.slice(0, Math.round(stream.length * keep));
  for (const { at, xor } of flips) if (out.length > 0) out[at % out.length] ^= xor;
  return out;
}

/** Resolves, or rejects with a UimgError: anything else fails the property. */
async function decodesOrFailsCleanly(format: Compression, bytes: Uint8Array): Promise<void> {
  try {
    const { data } = await decompress(format, bytes, { maxOutputBytes: 1 << 20, signal: AbortSignal.timeout(20_000) });
    expect(data.length).toBeLessThanOrEqual(1 << 20);
  } catch (e) {
    if (!(e instanceof UimgError)) throw new Error(`not a UimgError: ${String(e)}`);
    expect(e.code).not.toBe('TIMED_OUT');
  }
}

describe('fuzz: damaged compressed streams', () => {
  it.each(STREAMS)('$file: decompress ends in data or a UimgError', async ({ file, format }) => {
    const stream = fixture(`compressed/${file}`);
    await fc.assert(fc.asyncProperty(arbDamage, (d) => decodesOrFailsCleanly(format, damage(stream, d))), { seed: SEED, numRuns: RUNS });
  });

  it.each(STREAMS)('$file: findPayloads and findLinuxBanner never throw on damaged streams in junk', ({ file }) => {
    const stream = fixture(`compressed/${file}`);
    fc.assert(fc.property(arbDamage, fc.uint8Array({ maxLength: 64 }), (d, before) => {
      const bytes = new Uint8Array([...before, ...damage(stream, d)]);
      const found = findPayloads(bytes, { includeUnvalidated: true });
      expect(found.every((c) => c.offset >= 0 && c.offset < bytes.length)).toBe(true);
      findLinuxBanner(bytes);
    }), { seed: SEED, numRuns: RUNS });
  });

  it('random bytes behind every magic: decompress fails cleanly', async () => {
    const magics: [Compression, number[]][] = [
      ['gzip', [0x1f, 0x8b, 0x08, 0]], ['bzip2', [0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59]],
      ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 0, 1, 0x69, 0x22, 0xde, 0x36]], ['lzma', [0x5d, 0, 0, 0, 4, 255, 255, 255, 255, 255, 255, 255, 255, 0]],
      ['lzo', [0x89, 0x4c, 0x5a, 0x4f, 0, 0x0d, 0x0a, 0x1a, 0x0a]], ['lz4', [0x02, 0x21, 0x4c, 0x18]], ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
    ];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 2048 }), ([format, magic], tail) =>
      decodesOrFailsCleanly(format, new Uint8Array([...magic, ...tail]))), { seed: SEED, numRuns: 4 * RUNS });
  });
});
