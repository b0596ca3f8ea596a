/** findPayloads(): compressed streams inside an image, validated, fast on a 33 MB file. */
import { CODECS } from './codecs.js';
import type { Codec, Compression, PayloadCandidate, StreamShape } from './types.js';

/** The trial decode reads at most this much input and stops after this much output. */
const TRIAL_INPUT = 256 << 10;
const TRIAL_OUTPUT = 64 << 10;
/** Formats whose first decodable unit is bigger: a bzip2 block (<= 900 kB of output), an lz4 legacy block (8 MiB). */
const TRIAL_INPUT_OF: Partial<Record<Compression, number>> = { bzip2: 1200 << 10, lz4: (8 << 20) + (8 << 20) / 255 + 32 };
const DEFAULT_MAX_CANDIDATES = 64;

export interface FindPayloadsOptions {
  start?: number;
  end?: number;
  /** Also report streams that only match a magic (decoys, damaged headers), after the validated ones. */
  includeUnvalidated?: boolean;
  /** Stop after this many validated streams (default 64). */
  maxCandidates?: number;
}

/** Thrown from a trial decode's output callback once it has seen enough. */
class TrialDone extends Error {}

/**
 * A bounded trial decode of the stream at `at`: true if the decoder reaches TRIAL_OUTPUT bytes of output, or the
 * stream's end, or decodes something before its input runs out (the prefix it was given, or the range), without an
 * error.
 */
function trialDecodes(codec: Codec, bytes: Uint8Array, at: number, end: number): boolean {
  if (!codec.syncSteps) return true;
  const stop = Math.min(end, at + (TRIAL_INPUT_OF[codec.format] ?? TRIAL_INPUT));
  let produced = 0;
  const run = codec.syncSteps(bytes.subarray(at, stop), (chunk) => {
    produced += chunk.length;
    if (produced >= TRIAL_OUTPUT) throw new TrialDone();
  });
  try {
    while (!run.next().done);
    return true;
  } catch (e) {
    if (e instanceof TrialDone) return true;
    return produced > 0 && (e as { code?: string }).code === 'TRUNCATED';
  } finally {
    run.return(undefined);
  }
}

/** Offsets where a codec's magic occurs, in order, found lazily with the native indexOf. */
function* magicHits(codec: Codec, bytes: Uint8Array, start: number, end: number): Generator<number> {
  const [first, ...rest] = codec.magic;
  for (let at = bytes.indexOf(first!, start); at >= 0 && at + codec.magic.length <= end; at = bytes.indexOf(first!, at + 1)) {
    if (rest.every((m, i) => bytes[at + 1 + i] === m)) yield at;
  }
}

/**
 * Scans [start, end) for compressed streams. Returns the validated ones first, in offset order, then (only with
 * includeUnvalidated) the magic-only ones. Hits inside a validated stream of known length are skipped. When the
 * caller gives `end`, the last validated stream whose end was not found is taken to end there (and a gzip stream's
 * ISIZE is read from the last 4 bytes before it).
 */
export function findPayloads(bytes: Uint8Array, opts: FindPayloadsOptions = {}): PayloadCandidate[] {
  const start = Math.max(0, opts.start ?? 0);
  const end = Math.min(bytes.length, opts.end ?? bytes.length);
  const max = opts.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
  const validated: PayloadCandidate[] = [];
  const unvalidated: PayloadCandidate[] = [];
  // One lazy cursor per format; always take the lowest offset next.
  const cursors = Object.values(CODECS).map((codec) => ({ codec, hits: magicHits(codec, bytes, start, end), next: -1 }));
  for (const c of cursors) c.next = c.hits.next().value ?? -1;
  let coveredUntil = start;
  while (validated.length < max) {
    let cursor: (typeof cursors)[number] | undefined;
    for (const c of cursors) if (c.next >= 0 && (!cursor || c.next < cursor.next)) cursor = c;
    if (!cursor) break;
    const at = cursor.next;
    cursor.next = cursor.hits.next().value ?? -1;
    if (at < coveredUntil) continue;
    const { codec } = cursor;
    const shape = codec.probe(bytes, at, end);
    if (shape && !shape.ambiguous && trialDecodes(codec, bytes, at, end)) {
      validated.push(candidate(codec.format, at, shape));
      if (shape.compressedLength !== undefined) coveredUntil = at + shape.compressedLength;
    } else if (opts.includeUnvalidated && unvalidated.length < max) {
      unvalidated.push({ format: codec.format, offset: at, confidence: 'magic-only' });
    }
  }
  const last = validated.at(-1);
  if (last && opts.end !== undefined && last.compressedLength === undefined) endsAtCallersEnd(last, bytes, end);
  return [...validated, ...unvalidated];
}

function candidate(format: Compression, offset: number, { compressedLength, uncompressedSize, sizeSource }: StreamShape): PayloadCandidate {
  return {
    format, offset,
    ...(compressedLength !== undefined ? { compressedLength } : {}),
    ...(uncompressedSize !== undefined ? { uncompressedSize, sizeSource: sizeSource! } : {}),
    confidence: 'validated',
  };
}

function endsAtCallersEnd(c: PayloadCandidate, bytes: Uint8Array, end: number): void {
  c.compressedLength = end - c.offset;
  if (c.format === 'gzip' && c.uncompressedSize === undefined && c.compressedLength >= 18) {
    c.uncompressedSize = (bytes[end - 4]! | (bytes[end - 3]! << 8) | (bytes[end - 2]! << 16) | (bytes[end - 1]! << 24)) >>> 0;
    c.sizeSource = 'gzip-isize';
  }
}
