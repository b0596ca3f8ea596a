/**
 * gzip (RFC 1952), as `gzip -9n` writes it for the kernel: the one module that drives pako. Header checks for the
 * payload scan; one member inflater that every reader shares (the bounded codec inspect decompresses with, the
 * streaming multi-member gunzip of initramfs archives, the cpio probe), so its error mapping lives here once; and the
 * streaming compressor `uimg cpio --gzip` writes with.
 */
import { Deflate, ZStream, Z_BUF_ERROR, Z_NO_FLUSH, Z_OK, Z_STREAM_END, zlibInflate, zlibInflateInit2 } from 'pako';
import { crc32 } from '../../bytes/crc32.js';
import type { ByteSink } from '../../bytes/source.js';
import { UimgError } from '../../errors.js';
import { corruptStream, truncatedStream } from './limits.js';
import type { Codec, DecodeSteps, StreamShape } from './types.js';

const MAGIC = [0x1f, 0x8b, 0x08]; // and CM 8: deflate
const FLAG = { HCRC: 0x02, EXTRA: 0x04, NAME: 0x08, COMMENT: 0x10, RESERVED: 0xe0 } as const;
/** gzip's "extra flags": 0 (default), 2 (-9, the kernel's), 4 (-1). */
const XFL_VALUES = new Set([0, 2, 4]);
/** OS byte: 0..13 are assigned, 255 is "unknown". */
const OS_MAX = 13;
const OS_UNKNOWN = 255;
/** Longest file name or comment we accept in a header: they end at a NUL, which a decoy may never reach. */
const MAX_HEADER_STRING = 1024;
/** windowBits 15 + 16: zlib's "gzip wrapper only". */
const GZIP_ONLY = 31;
const OUT_CHUNK = 256 << 10;

/** Offset of the deflate data after a gzip header at `at`, or undefined if the header is not valid. */
function headerEnd(b: Uint8Array, at: number, end: number): number | undefined {
  if (at + 10 > end || !MAGIC.every((m, i) => b[at + i] === m)) return undefined;
  const flags = b[at + 3]!;
  if (flags & FLAG.RESERVED) return undefined;
  if (!XFL_VALUES.has(b[at + 8]!)) return undefined;
  const os = b[at + 9]!;
  if (os > OS_MAX && os !== OS_UNKNOWN) return undefined;
  let p = at + 10;
  if (flags & FLAG.EXTRA) {
    if (p + 2 > end) return undefined;
    p += 2 + (b[p]! | (b[p + 1]! << 8));
  }
  for (const flag of [FLAG.NAME, FLAG.COMMENT]) {
    if (!(flags & flag)) continue;
    const nul = b.subarray(p, Math.min(end, p + MAX_HEADER_STRING)).indexOf(0);
    if (nul < 0) return undefined;
    p += nul + 1;
  }
  if (flags & FLAG.HCRC) {
    if (p + 2 > end) return undefined;
    if ((crc32(b.subarray(at, p)) & 0xffff) !== (b[p]! | (b[p + 1]! << 8))) return undefined;
    p += 2;
  }
  return p <= end ? p : undefined;
}

function probe(b: Uint8Array, at: number, end: number): StreamShape | undefined {
  return headerEnd(b, at, end) === undefined ? undefined : {};
}

export const isGzip = (b: Uint8Array, at = 0) => b[at] === MAGIC[0] && b[at + 1] === MAGIC[1];

/**
 * One gzip member, inflated as its input arrives. Output comes in chunks of at most 256 KiB, valid until the next
 * step (copy what you keep). A corrupt member throws CORRUPT_STREAM at `base` + the member offset it failed at.
 */
export class GzipMember {
  private readonly strm = new ZStream();

  constructor(private readonly base = 0) {
    zlibInflateInit2(this.strm, GZIP_ONLY);
    this.strm.output = new Uint8Array(OUT_CHUNK);
  }

  /** Input bytes the member has taken so far. */
  get consumed(): number {
    return this.strm.total_in;
  }

  /**
   * Inflates `input` until it is used up or the member ends, a step per output chunk. Returns what follows the
   * member's end in `input` (empty when it ends with it), or undefined when the member needs more input.
   */
  *inflate(input: Uint8Array): Generator<Uint8Array, Uint8Array | undefined, void> {
    const s = this.strm;
    s.input = input;
    s.next_in = 0;
    s.avail_in = input.length;
    for (;;) {
      s.next_out = 0;
      s.avail_out = OUT_CHUNK;
      const status = zlibInflate(s, Z_NO_FLUSH);
      const produced = OUT_CHUNK - s.avail_out;
      if (produced > 0) yield s.output.subarray(0, produced);
      if (status === Z_STREAM_END) return input.subarray(s.next_in);
      if (status === Z_BUF_ERROR && s.avail_in === 0) return undefined;
      if (status !== Z_OK) throw corruptStream('gzip', s.msg || `inflate status ${status}`, this.base + s.total_in);
    }
  }
}

/** The first bytes the start of a gzip stream inflates to, or undefined when it does not inflate. */
export function gunzipHead(head: Uint8Array): Uint8Array | undefined {
  try {
    const first = new GzipMember().inflate(head).next();
    return first.done ? undefined : first.value;
  } catch (e) {
    if (e instanceof UimgError) return undefined;
    throw e;
  }
}

/** One member from the start of `input`, within the codec's limits: the bounded decoder inspect uses. */
const inflateSteps: DecodeSteps = function* (input, emit) {
  const member = new GzipMember();
  const run = member.inflate(input);
  for (;;) {
    const step = run.next();
    if (step.done) {
      if (step.value === undefined) throw truncatedStream('gzip', input.length);
      return member.consumed;
    }
    emit(step.value);
    yield;
  }
};

/**
 * The decompressed bytes of a gzip stream as it arrives: one or more members, NUL padding between and after them
 * (the kernel reads an initramfs so). `base` is the stream's offset in its file, for messages.
 */
export async function* gunzip(chunks: AsyncIterable<Uint8Array>, base = 0): AsyncGenerator<Uint8Array> {
  let member: GzipMember | undefined;
  let members = 0;
  let position = base;
  for await (const chunk of chunks) {
    let rest = chunk;
    while (rest.length > 0) {
      if (!member) {
        const padding = rest.findIndex((b) => b !== 0);
        if (padding < 0) {
          position += rest.length;
          break;
        }
        position += padding;
        rest = rest.subarray(padding);
        if (members > 0 && rest[0] !== MAGIC[0]) {
          throw new UimgError('MALFORMED', `gzip data at ${base}: bytes that are neither padding nor gzip follow the compressed data at ${position}`,
            { field: 'gzip', offset: position });
        }
        member = new GzipMember(position);
      }
      const run = member.inflate(rest);
      let step = run.next();
      for (; !step.done; step = run.next()) yield step.value.slice();
      const after = step.value;
      position += rest.length - (after?.length ?? 0);
      if (after === undefined) break;
      member = undefined;
      members++;
      rest = after;
    }
  }
  if (member || members === 0) throw truncatedStream('gzip', position);
}

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

export const gzipCodec: Codec = {
  format: 'gzip',
  magic: MAGIC,
  probe,
  syncSteps: inflateSteps,
  loadSteps: async () => inflateSteps,
};
