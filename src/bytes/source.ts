/**
 * One small interface for reading files, buffers and browser Blobs. Parsers read only the bytes they need; CRCs and
 * copies walk chunks(), so memory stays flat whatever the image size.
 */
export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes at `offset`; shorter only at the end of the source. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** The range [offset, offset+length) in pieces of at most `chunkSize` bytes. */
  chunks(offset: number, length: number, chunkSize?: number): AsyncIterable<Uint8Array>;
}

/** Where bytes go. `patch` overwrites bytes already written (a file can; a pipe cannot). */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
  patch?(offset: number, bytes: Uint8Array): Promise<void>;
}

export const DEFAULT_CHUNK_SIZE = 1 << 20;

export function fromBytes(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    async read(offset, length) {
      return bytes.subarray(offset, Math.min(bytes.length, offset + length));
    },
    async *chunks(offset, length, chunkSize = DEFAULT_CHUNK_SIZE) {
      const end = Math.min(bytes.length, offset + length);
      for (let at = offset; at < end; at += chunkSize) yield bytes.subarray(at, Math.min(end, at + chunkSize));
    },
  };
}

/** A sink that collects everything in memory (tests, browsers, small images). */
export function memorySink(): ByteSink & { bytes(): Uint8Array } {
  const parts: Uint8Array[] = [];
  let flat: Uint8Array | undefined;
  const flatten = (): Uint8Array => {
    if (!flat) {
      flat = concatBytes(parts);
      parts.length = 0;
      parts.push(flat);
    }
    return flat;
  };
  return {
    async write(chunk) {
      parts.push(chunk.slice());
      flat = undefined;
    },
    async patch(offset, bytes) {
      flatten().set(bytes, offset);
    },
    bytes: flatten,
  };
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The range [offset, offset+length) of `src` as a source of its own (clamped to what `src` has). */
export function subSource(src: ByteSource, offset: number, length: number): ByteSource {
  const start = Math.min(Math.max(0, offset), src.size);
  const size = Math.max(0, Math.min(length, src.size - start));
  return {
    size,
    read: (at, n) => src.read(start + at, Math.max(0, Math.min(n, size - at))),
    chunks: (at, n, chunkSize) => src.chunks(start + at, Math.max(0, Math.min(n, size - at)), chunkSize),
  };
}

/** Read `length` bytes at `offset`, or fewer where the source ends; never a negative or past-the-end request. */
export async function readClamped(src: ByteSource, offset: number, length: number): Promise<Uint8Array> {
  if (offset >= src.size || length <= 0 || offset < 0) return new Uint8Array(0);
  return src.read(offset, Math.min(length, src.size - offset));
}
