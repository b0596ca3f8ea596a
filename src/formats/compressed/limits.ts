/** Bounded decompression: output size and abort checks, and the typed errors of a failed decode. */
import { concatBytes } from '../../bytes/source.js';
import { UimgError } from '../../errors.js';
import type { Compression, DecompressLimits } from './types.js';

/** How often a running decode lets timers run (so AbortSignal.timeout can fire): by output produced, or by steps. */
const YIELD_EVERY_BYTES = 2 << 20;
const YIELD_EVERY_STEPS = 16;

/**
 * Collects decoded output, refusing to hold more than the limit, and yields to the event loop now and then. With the
 * size the headers announce (already checked against the limit) it fills one buffer of that size, so a kernel is not
 * held twice; it still copes with a stream that turns out longer or shorter.
 */
export class BoundedOutput {
  private chunks: Uint8Array[] = [];
  private buffer: Uint8Array | undefined;
  private total = 0;
  private bytesSinceYield = 0;
  private stepsSinceYield = 0;

  constructor(private readonly format: Compression, private readonly limits: DecompressLimits, expectedSize?: number) {
    if (expectedSize !== undefined && expectedSize <= limits.maxOutputBytes) this.buffer = new Uint8Array(expectedSize);
  }

  /** Copies `chunk` (the decoder may reuse it). Throws SIZE_LIMIT once the total would pass the limit. */
  readonly push = (chunk: Uint8Array): void => {
    if (chunk.length === 0) return;
    if (this.total + chunk.length > this.limits.maxOutputBytes) throw sizeLimitError(this.format, this.limits.maxOutputBytes);
    if (this.buffer && this.total + chunk.length > this.buffer.length) {
      this.chunks = [this.buffer.subarray(0, this.total)];
      this.buffer = undefined;
    }
    if (this.buffer) this.buffer.set(chunk, this.total);
    else this.chunks.push(chunk.slice());
    this.total += chunk.length;
    this.bytesSinceYield += chunk.length;
  };

  /** Between decode steps: stop if aborted; every so often, let timers run first. */
  async checkpoint(): Promise<void> {
    throwIfAborted(this.format, this.limits.signal, this.total);
    if (this.bytesSinceYield < YIELD_EVERY_BYTES && ++this.stepsSinceYield < YIELD_EVERY_STEPS) return;
    this.bytesSinceYield = 0;
    this.stepsSinceYield = 0;
    await new Promise((resolve) => setTimeout(resolve, 0));
    throwIfAborted(this.format, this.limits.signal, this.total);
  }

  result(): Uint8Array {
    if (this.buffer) return this.total === this.buffer.length ? this.buffer : this.buffer.slice(0, this.total);
    return concatBytes(this.chunks);
  }
}

export function checkLimits(limits: DecompressLimits): void {
  const max = limits.maxOutputBytes;
  if (!Number.isSafeInteger(max) || max < 0) {
    throw new UimgError('BAD_VALUE', `maxOutputBytes must be a non-negative integer, not ${max}`, { field: 'maxOutputBytes', actual: String(max) });
  }
}

export function throwIfAborted(format: Compression, signal: AbortSignal | undefined, produced = 0): void {
  if (!signal?.aborted) return;
  const reason: unknown = signal.reason;
  const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
  throw new UimgError(
    timedOut ? 'TIMED_OUT' : 'ABORTED',
    `${format} decompression ${timedOut ? 'timed out' : 'was aborted'} after ${produced} bytes of output`,
    { field: format, actual: produced },
    timedOut ? 'raise the time limit' : undefined,
  );
}

export function sizeLimitError(format: Compression, max: number, expected?: number): UimgError {
  const what = expected === undefined ? 'would exceed' : `is ${expected} bytes, over`;
  return new UimgError('SIZE_LIMIT', `${format} output ${what} the limit of ${max} bytes`, { field: format, expected: max, ...(expected !== undefined ? { actual: expected } : {}) }, 'raise the output size limit if the input is trusted');
}

export function corruptStream(format: Compression, detail: string, offset?: number): UimgError {
  const where = offset === undefined ? '' : ` at input offset ${offset}`;
  return new UimgError('CORRUPT_STREAM', `corrupt ${format} stream${where}: ${detail}`, { field: format, ...(offset !== undefined ? { offset } : {}) });
}

export function truncatedStream(format: Compression, length: number): UimgError {
  return new UimgError('TRUNCATED', `truncated ${format} stream: input ends after ${length} bytes, before the end of the stream`, { field: format, offset: length }, 'the payload was cut short, or its end was computed wrongly');
}

/** Any failure inside a decoder library, as a typed error; our own errors pass through. */
export function asUimgError(format: Compression, e: unknown): UimgError {
  if (e instanceof UimgError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return corruptStream(format, message);
}
