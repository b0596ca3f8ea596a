/** gzip as streams over pako: a compressing ByteSink and a decompressing chunk iterator, memory flat in the size. */
import { Deflate, Inflate } from 'pako';
import { UimgError } from '../errors.js';
import type { ByteSink } from './source.js';

export const isGzip = (b: Uint8Array, at = 0) => b[at] === 0x1f && b[at + 1] === 0x8b;

export interface GzipSink extends ByteSink {
  /** Flush the compressor and write the gzip trailer. Call once, after the last write. */
  finish(): Promise<void>;
}

/**
 * A sink that gzips into `inner`. pako writes mtime 0 and OS 3 (Unix) in the header, so equal input gives equal
 * output (what `gzip -n` gives); level 9 as the kernel's initramfs build uses.
 */
export function gzipSink(inner: ByteSink, level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 9): GzipSink {
  const deflate = new Deflate({ gzip: true, level });
  const pending: Uint8Array[] = [];
  deflate.onData = (chunk) => pending.push((chunk as Uint8Array).slice());
  const push = async (data: Uint8Array, last: boolean) => {
    deflate.push(data, last);
    if (deflate.err) throw new UimgError('IO_ERROR', `gzip: ${deflate.msg || `error ${deflate.err}`}`);
    for (const c of pending.splice(0)) await inner.write(c);
  };
  return {
    write: (chunk) => push(chunk, false),
    finish: () => push(new Uint8Array(0), true),
  };
}

function gzipError(message: string, offset: number, hint?: string): UimgError {
  return new UimgError('MALFORMED', `gzip data at ${offset}: ${message}`, { field: 'gzip', offset }, hint);
}

/** pako sets `ended` when a stream is complete (or failed); its type declarations omit it. */
type EndingInflate = Inflate & { readonly ended: boolean };

/**
 * The decompressed bytes of a gzip stream: one or more members, NUL padding after the last one allowed (as the
 * kernel allows it after an initramfs). `base` is the stream's offset in its file, for messages.
 */
export async function* gunzip(chunks: AsyncIterable<Uint8Array>, base = 0): AsyncGenerator<Uint8Array> {
  let inflate: EndingInflate | undefined;
  let out: Uint8Array[] = [];
  let consumed = 0;
  const start = () => {
    const next = new Inflate() as EndingInflate;
    next.onData = (c) => out.push(c as Uint8Array);
    return next;
  };
  for await (const chunk of chunks) {
    let rest = chunk;
    if (inflate?.ended) {
      // The previous member ended exactly at a chunk boundary: another member, padding, or junk follows.
      const skip = rest.findIndex((b) => b !== 0);
      if (skip >= 0 && !isGzip(rest, skip)) {
        throw gzipError('bytes that are neither padding nor gzip follow the compressed data', base + consumed + skip);
      }
      rest = rest.subarray(skip < 0 ? rest.length : skip);
      if (skip >= 0) inflate = undefined;
    }
    if (rest.length > 0) {
      inflate ??= start();
      inflate.push(rest, false);
      if (inflate.err) throw gzipError(inflate.msg || `error ${inflate.err}`, base + consumed, 'the compressed data is corrupt');
    }
    consumed += chunk.length;
    for (const c of out) yield c;
    out = [];
  }
  if (!inflate) throw gzipError('empty input', base);
  if (!inflate.ended) {
    throw new UimgError('TRUNCATED', `gzip data at ${base}: the compressed stream ends before its end marker`,
      { field: 'gzip', offset: base + consumed }, 'the file is cut short');
  }
}
