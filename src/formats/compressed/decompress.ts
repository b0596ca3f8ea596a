/** decompress(): one stream of a named format, within an output size limit and an abort signal. */
import { UimgError } from '../../errors.js';
import { CODECS } from './codecs.js';
import { BoundedOutput, asUimgError, checkLimits, corruptStream, sizeLimitError, throwIfAborted, truncatedStream } from './limits.js';
import type { Compression, DecompressLimits } from './types.js';

/** Input this short that starts like the format's magic but fails the header checks is taken as cut short. */
const SHORT_INPUT = 64;

/**
 * Decompresses the stream at the start of `bytes` (bytes after its end are ignored; `consumed` says where it ended,
 * when the decoder tells). Throws UimgError only: SIZE_LIMIT, TIMED_OUT, ABORTED, TRUNCATED, CORRUPT_STREAM (with
 * the input offset when known) or UNSUPPORTED_COMPRESSION.
 */
export async function decompress(format: Compression, bytes: Uint8Array, limits: DecompressLimits): Promise<{ data: Uint8Array; consumed?: number }> {
  const codec = Object.hasOwn(CODECS, format) ? CODECS[format] : undefined;
  if (!codec) throw new UimgError('UNSUPPORTED_COMPRESSION', `unknown compression ${String(format)}`, { field: 'format', actual: String(format) });
  checkLimits(limits);
  throwIfAborted(format, limits.signal);
  const shape = codec.probe(bytes, 0, bytes.length);
  if (!shape) {
    const magicSoFar = codec.magic.every((m, i) => i >= bytes.length || bytes[i] === m);
    throw magicSoFar && bytes.length < SHORT_INPUT ? truncatedStream(format, bytes.length) : corruptStream(format, 'not a valid header', 0);
  }
  if (!codec.loadSteps) {
    throw new UimgError('UNSUPPORTED_COMPRESSION', `${format} decompression is not supported (the stream was found and its headers checked)`, { field: format }, 'extract the stream and decompress it with lzop -d');
  }
  if (shape.uncompressedSize !== undefined && shape.uncompressedSize > limits.maxOutputBytes) {
    throw sizeLimitError(format, limits.maxOutputBytes, shape.uncompressedSize);
  }
  const steps = await codec.loadSteps();
  throwIfAborted(format, limits.signal);
  const out = new BoundedOutput(format, limits, shape.uncompressedSize);
  const run = steps(bytes, out.push);
  try {
    for (;;) {
      const step = run.next();
      if (step.done) return { data: out.result(), ...(step.value !== undefined ? { consumed: step.value } : {}) };
      await out.checkpoint();
    }
  } catch (e) {
    throw asUimgError(format, e);
  } finally {
    run.return(undefined);
  }
}
