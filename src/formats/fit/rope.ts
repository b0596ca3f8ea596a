/**
 * A byte sequence made of pieces: literal bytes, zeros, or ranges of a ByteSource that are never loaded whole. A FIT
 * under construction is one of these, so a 256 MiB kernel stays in its file while the tree around it is edited with
 * libfdt's memmove semantics (every edit is a re-slicing of pieces) and is finally streamed out chunk by chunk.
 */
import { DEFAULT_CHUNK_SIZE, type ByteSource } from '../../bytes/source.js';
import { UimgError } from '../../errors.js';

export type Piece =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'zero'; length: number }
  | { kind: 'source'; source: ByteSource; offset: number; length: number };

const pieceLength = (p: Piece) => (p.kind === 'bytes' ? p.bytes.length : p.length);
/** Literal pieces below this are merged with their neighbours, so edits do not fragment the tree into slivers. */
const MERGE_LIMIT = 1 << 16;

export class Rope {
  readonly length: number;
  private constructor(readonly pieces: readonly Piece[]) {
    this.length = pieces.reduce((n, p) => n + pieceLength(p), 0);
  }

  static of(...parts: (Piece | Uint8Array | Rope)[]): Rope {
    const out: Piece[] = [];
    const push = (p: Piece) => {
      if (pieceLength(p) === 0) return;
      const last = out[out.length - 1];
      if (last && last.kind === 'bytes' && p.kind === 'bytes' && last.bytes.length + p.bytes.length <= MERGE_LIMIT) {
        const merged = new Uint8Array(last.bytes.length + p.bytes.length);
        merged.set(last.bytes);
        merged.set(p.bytes, last.bytes.length);
        out[out.length - 1] = { kind: 'bytes', bytes: merged };
      } else if (last && last.kind === 'zero' && p.kind === 'zero') {
        out[out.length - 1] = { kind: 'zero', length: last.length + p.length };
      } else out.push(p);
    };
    for (const part of parts) {
      if (part instanceof Rope) part.pieces.forEach(push);
      else if (part instanceof Uint8Array) push({ kind: 'bytes', bytes: part });
      else push(part);
    }
    return new Rope(out);
  }

  static zeros(length: number): Rope {
    return Rope.of({ kind: 'zero', length });
  }

  /** [start, end), clamped to the rope. */
  slice(start: number, end = this.length): Rope {
    start = Math.max(0, start);
    end = Math.min(end, this.length);
    const out: Piece[] = [];
    let at = 0;
    for (const p of this.pieces) {
      const len = pieceLength(p);
      const s = Math.max(start, at), e = Math.min(end, at + len);
      if (s < e) {
        const a = s - at, b = e - at;
        if (p.kind === 'bytes') out.push({ kind: 'bytes', bytes: p.bytes.subarray(a, b) });
        else if (p.kind === 'zero') out.push({ kind: 'zero', length: b - a });
        else out.push({ kind: 'source', source: p.source, offset: p.offset + a, length: b - a });
      }
      at += len;
      if (at >= end) break;
    }
    return Rope.of(...out);
  }

  /** The same rope with `bytes` written over [at, at + length). */
  overwrite(at: number, bytes: Uint8Array | Rope): Rope {
    const len = bytes instanceof Rope ? bytes.length : bytes.length;
    return Rope.of(this.slice(0, at), bytes, this.slice(at + len));
  }

  /** Bytes of a range that lies in literal pieces (tree structure, never image data). */
  read(at: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let filled = 0;
    let pos = 0;
    for (const p of this.pieces) {
      const len = pieceLength(p);
      const s = Math.max(at, pos), e = Math.min(at + length, pos + len);
      if (s < e) {
        if (p.kind === 'source') {
          throw new UimgError('INTERNAL', `tree bytes at ${s} lie inside image data`, { offset: s });
        }
        if (p.kind === 'bytes') out.set(p.bytes.subarray(s - pos, e - pos), s - at);
        filled += e - s;
      }
      pos += len;
      if (pos >= at + length) break;
    }
    if (filled < length) throw new UimgError('INTERNAL', `read past the end of a blob (${at}+${length} of ${this.length})`, { offset: at });
    return out;
  }

  /** The whole rope in chunks of at most `chunkSize` bytes, reading sources as it goes. */
  async *chunks(chunkSize = DEFAULT_CHUNK_SIZE): AsyncIterable<Uint8Array> {
    for (const p of this.pieces) {
      if (p.kind === 'bytes') yield p.bytes;
      else if (p.kind === 'zero') {
        const zero = new Uint8Array(Math.min(chunkSize, p.length));
        for (let left = p.length; left > 0; left -= zero.length) yield left >= zero.length ? zero : zero.subarray(0, left);
      } else {
        let got = 0;
        for await (const c of p.source.chunks(p.offset, p.length, chunkSize)) {
          got += c.length;
          yield c;
        }
        if (got < p.length) throw new UimgError('TRUNCATED', `an input ended ${p.length - got} bytes early while it was copied`, { expected: p.length, actual: got }, 'do not change input files while mkimage runs');
      }
    }
  }

  /** Everything in memory (small blobs, tests). */
  async bytes(): Promise<Uint8Array> {
    const out = new Uint8Array(this.length);
    let at = 0;
    for await (const c of this.chunks()) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
