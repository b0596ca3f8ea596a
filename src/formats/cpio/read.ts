/**
 * Reads an initramfs the way the kernel's unpacker (init/initramfs.c) walks its buffer: newc/crc archives one
 * after another, NUL padding between them, and a gzip-compressed part (to the end) allowed after raw ones, as
 * when early microcode is prepended. Streaming: file data passes through a visitor and is never gathered.
 */
import { gunzip, isGzip } from '../compressed/gzip.js';
import type { ByteSource } from '../../bytes/source.js';
import { StreamReader } from '../../bytes/stream-reader.js';
import { detectCompression } from '../compressed/magic.js';
import { UimgError } from '../../errors.js';
import { finding, type Finding } from '../../findings.js';
import {
  NEWC_HEADER_SIZE, PATH_MAX, TRAILER_NAME, byteSum, decodeNewcHeader, fileTypeOf, pad4,
  type FileType, type NewcHeader,
} from './newc.js';

export interface CpioEntry extends NewcHeader {
  name: string;
  type: FileType | undefined;
  /** Offset of the header in its segment (the file itself, or the decompressed stream of a gzip segment). */
  offset: number;
  /** Index into CpioListing.segments. */
  segment: number;
  /** Symlink target. */
  target?: string;
}

export interface CpioSegment {
  /** Where the segment starts in the input. */
  offset: number;
  compression: 'none' | 'gzip';
  /** Archives (trailers) found in it. */
  archives: number;
}

export interface CpioListing {
  entries: CpioEntry[];
  segments: CpioSegment[];
  findings: Finding[];
}

/** Sees each entry (never the trailer) with its data, which it may read or leave; the walker drains what is left. */
export type CpioVisitor = (entry: CpioEntry, data: AsyncIterable<Uint8Array>) => Promise<void>;

const utf8 = new TextDecoder();

export async function readCpio(src: ByteSource, visit?: CpioVisitor): Promise<CpioListing> {
  return walkInitramfs(src.chunks(0, src.size), visit);
}

export async function walkInitramfs(chunks: AsyncIterable<Uint8Array>, visit?: CpioVisitor): Promise<CpioListing> {
  const listing: CpioListing = { entries: [], segments: [], findings: [] };
  const input = new StreamReader(chunks);
  for (;;) {
    await input.skipZeros();
    const head = await input.peek(6);
    if (head.length === 0) break;
    const offset = input.position;
    if (looksLikeCpio(head)) {
      listing.segments.push({ offset, compression: 'none', archives: 0 });
      await walkArchive(input, listing, visit);
    } else if (isGzip(head)) {
      listing.segments.push({ offset, compression: 'gzip', archives: 0 });
      const inner = new StreamReader(gunzip(input.rest(), offset));
      for (;;) {
        await inner.skipZeros();
        if ((await inner.peek(1)).length === 0) break;
        await walkArchive(inner, listing, visit);
      }
    } else {
      if (listing.segments.length === 0) {
        const other = detectCompression(await input.peek(16));
        throw new UimgError('BAD_MAGIC', other ? `a ${other}-compressed stream, not a cpio archive or gzip`
          : `not a cpio archive: magic '${String.fromCharCode(...head).replace(/[^\x20-\x7e]/g, '.')}'`,
          { field: 'magic', offset, expected: '070701, 070702 or gzip', actual: other ?? 'unknown' },
          other ? `decompress it first (only gzip is read here)` : 'cpio -H newc and gzip-compressed newc archives are read');
      }
      const rest = await input.peek(16);
      listing.findings.push(finding('cpio-trailing-data',
        `${detectCompression(rest) ?? 'unrecognised'} data after the last archive (at ${offset}) was not read`,
        'only newc archives and gzip are read; the kernel reads more compressions', offset));
      break;
    }
  }
  addNameFindings(listing);
  return listing;
}

/** "0707" starts every ASCII cpio magic: the header decoder then says which one it is, or that it is cut short. */
const looksLikeCpio = (head: Uint8Array) => [0x30, 0x37, 0x30, 0x37].every((c, i) => i >= head.length || head[i] === c);

/** One archive from its first header up to and including its trailer (or the end of the stream). */
async function walkArchive(r: StreamReader, listing: CpioListing, visit: CpioVisitor | undefined): Promise<void> {
  const segment = listing.segments.length - 1;
  const seg = listing.segments[segment]!;
  for (;;) {
    const offset = r.position;
    if ((await r.peek(1)).length === 0) {
      listing.findings.push(finding('cpio-no-trailer', `the archive ends at ${offset} without a ${TRAILER_NAME} entry`,
        'the kernel unpacks it, but other tools may call it truncated', offset));
      seg.archives++;
      return;
    }
    const h = decodeNewcHeader(await exact(r, NEWC_HEADER_SIZE, 'header', offset), offset);
    if (h.nameSize === 0 || h.nameSize > PATH_MAX) {
      throw new UimgError('SIZE_LIMIT', `cpio header at ${offset}: name size ${h.nameSize} is outside 1..${PATH_MAX}`,
        { field: 'namesize', offset: offset, expected: `1..${PATH_MAX}`, actual: h.nameSize }, 'the archive is damaged');
    }
    const nameBytes = await exact(r, h.nameSize, 'name', offset);
    await exact(r, pad4(r.position), 'padding', offset);
    const nul = nameBytes.indexOf(0);
    const name = utf8.decode(nul < 0 ? nameBytes : nameBytes.subarray(0, nul));
    if (name === TRAILER_NAME) {
      await exact(r, h.fileSize + pad4(h.fileSize), 'trailer data', offset);
      seg.archives++;
      return;
    }
    const entry: CpioEntry = { ...h, name, type: fileTypeOf(h.mode), offset: offset, segment };
    let data: AsyncIterable<Uint8Array>;
    if (entry.type === 'lnk') {
      if (h.fileSize > PATH_MAX) {
        throw new UimgError('SIZE_LIMIT', `${name}: symlink target of ${h.fileSize} bytes (at most ${PATH_MAX})`,
          { field: 'filesize', offset: entry.offset, expected: `<= ${PATH_MAX}`, actual: h.fileSize }, 'the archive is damaged');
      }
      const target = await exact(r, h.fileSize, 'symlink target', offset);
      const end = target.indexOf(0);
      entry.target = utf8.decode(end < 0 ? target : target.subarray(0, end));
      data = (async function* () { yield target; })();
    } else {
      data = r.take(h.fileSize);
    }
    // Counted as it passes; the iterator has no return(), so a visitor that stops early leaves the rest to drain.
    let sum = 0;
    let seen = 0;
    const it = data[Symbol.asyncIterator]();
    const counted: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        async next() {
          const n = await it.next();
          if (!n.done) {
            sum = byteSum(sum, n.value);
            seen += n.value.length;
          }
          return n;
        },
      }),
    };
    if (visit) await visit(entry, counted);
    for await (const _ of counted) void _;
    if (seen < h.fileSize) throwTruncated(r, 'data', offset, h.fileSize - seen);
    await exact(r, pad4(r.position), 'padding', offset);
    if (h.format === 'crc' && entry.type === 'reg' && h.fileSize > 0 && sum !== h.check) {
      listing.findings.push(finding('cpio-checksum', `${name}: data sum 0x${sum.toString(16)} does not match the header's 0x${h.check.toString(16)}`,
        'the file data is damaged', entry.offset));
    }
    listing.entries.push(entry);
  }
}

async function exact(r: StreamReader, n: number, what: string, entryOffset: number): Promise<Uint8Array> {
  const bytes = await r.read(n);
  if (bytes.length < n) throwTruncated(r, what, entryOffset, n - bytes.length);
  return bytes;
}

function throwTruncated(r: StreamReader, what: string, entryOffset: number, missing: number): never {
  throw new UimgError('TRUNCATED', `cpio entry at ${entryOffset}: the archive ends ${missing} bytes short in its ${what}`,
    { field: what, offset: r.position, expected: missing, actual: 0 }, 'the archive is cut short');
}

/** Findings about names, once all are known. */
function addNameFindings(listing: CpioListing): void {
  const seen = new Set<string>();
  for (const e of listing.entries) {
    const path = normalName(e.name);
    if (isUnsafeName(e.name)) {
      listing.findings.push(finding('cpio-unsafe-name', `'${e.name}' is absolute or climbs out with '..'`,
        'extracting refuses it; the kernel unpacks it relative to /', e.offset));
    }
    if (seen.has(path) && e.type !== 'dir') {
      const where = listing.segments.length > 1 ? ` in part ${e.segment}` : '';
      listing.findings.push(finding('cpio-duplicate-name', `'${e.name}' appears again at ${e.offset}${where}: the later one replaces the earlier`,
        undefined, e.offset));
    }
    seen.add(path);
  }
  if (listing.entries.length > 0 && !seen.has('init')) {
    listing.findings.push(finding('cpio-no-init', 'no /init: the kernel runs nothing from this archive unless rdinit= names a program',
      'add an executable /init, or pass rdinit=/path on the command line'));
  }
}

/** The name as the kernel resolves it below / ("./a//b" → "a/b"). */
export function normalName(name: string): string {
  return name.split('/').filter((p) => p !== '' && p !== '.').join('/');
}

export function isUnsafeName(name: string): boolean {
  return name.startsWith('/') || name.split('/').includes('..');
}
