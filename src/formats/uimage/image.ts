/**
 * Whole legacy images: build (single, multi-file, script, XIP, no-data, firmware_ivt) and read back (verify, size
 * table, parts). Both stream through ByteSource/ByteSink, so memory does not grow with the image.
 */
import { alignUp } from '../../bytes/align.js';
import { crc32 } from '../../bytes/crc32.js';
import { readU32BE, readU32LE, writeU32BE, writeU32LE } from '../../bytes/endian.js';
import { DEFAULT_CHUNK_SIZE, fromBytes, memorySink, type ByteSink, type ByteSource } from '../../bytes/source.js';
import { UimgError, hex32 } from '../../errors.js';
import {
  HEADER_SIZE, UIMAGE_MAGIC, checkHeader, decodeHeader, encodeHeader, headerCrcOf, nameField,
  type UImageHeader,
} from './header.js';
import type { SubImage } from './listing.js';
import { IH_OS, IH_TYPE } from './tables.js';

export interface ImageSpec {
  arch: number;
  os: number;
  type: number;
  comp: number;
  load: number;
  /** Default: the load address (+64 for XIP). Ignored for OS tee, whose payload says where it goes. */
  entry?: number;
  name?: string | Uint8Array;
  /** Seconds since the epoch; stored modulo 2^32. */
  time: number;
  /** The data: one part, or several for multi and script images. */
  parts: readonly ByteSource[];
  /** Execute in place: each part starts with 64 bytes of 0xFF reserved for the header, which are dropped. */
  xip?: boolean;
  /** Header only (mkimage -s). */
  noData?: boolean;
}

type Segment = { bytes: Uint8Array } | { source: ByteSource; offset: number; length: number } | { ivtPadding: number };

interface Plan {
  segments: Segment[];
  payloadSize: number;
  /** ih_size when it is not the payload length (firmware_ivt). */
  declaredSize?: number;
  /** Multi and script images: where each part lands. */
  subImages?: SubImage[];
}

const XIP_FILL = 0xff;
const IVT_SIZE = 32;
const IVT_CSF_SPAN = 0x2060;

export function isMultiLayout(type: number): boolean {
  return type === IH_TYPE.MULTI || type === IH_TYPE.SCRIPT;
}

/** Check one data part (empty; XIP reservation) before anything is written, as mkimage checks each file. */
export async function checkPart(src: ByteSource, part: number, xip = false): Promise<void> {
  if (src.size === 0) {
    throw new UimgError('EMPTY_INPUT', 'input file is empty', { part, field: 'data', actual: 0 },
      'an image needs data; use -s for a header-only image');
  }
  if (!xip) return;
  if (src.size < HEADER_SIZE) {
    throw new UimgError('XIP_TOO_SMALL', `too small for XIP: ${src.size} bytes, need at least ${HEADER_SIZE}`,
      { part, field: 'data', expected: `>= ${HEADER_SIZE}`, actual: src.size },
      'an XIP data file starts with 64 bytes of 0xFF where the header goes');
  }
  const head = await src.read(0, HEADER_SIZE);
  const bad = head.findIndex((b) => b !== XIP_FILL);
  if (bad >= 0) {
    throw new UimgError('XIP_BAD_PADDING', `invalid buffer for XIP: byte ${bad} is ${hex32(head[bad]!)}, not 0xff`,
      { part, field: 'data', offset: bad, expected: '0xff', actual: head[bad]! },
      'an XIP data file starts with 64 bytes of 0xFF where the header goes');
  }
}

async function planImage(spec: ImageSpec): Promise<Plan> {
  if (spec.noData) return { segments: [], payloadSize: 0, ...(isMultiLayout(spec.type) ? { subImages: [] } : {}) };
  if (spec.parts.length === 0) {
    throw new UimgError('USAGE', 'no data file given', { field: 'parts' }, 'pass the data with -d FILE');
  }
  if (spec.xip && isMultiLayout(spec.type)) {
    throw new UimgError('USAGE', 'XIP cannot be combined with a multi-file or script image', { field: 'xip' },
      'mkimage 2023.01 writes an inconsistent size table here; build the XIP image from a single file');
  }
  for (const [i, part] of spec.parts.entries()) await checkPart(part, i, spec.xip);
  const skip = spec.xip ? HEADER_SIZE : 0;
  const segments: Segment[] = [];
  let payloadSize = 0;
  if (isMultiLayout(spec.type)) {
    const table = new Uint8Array(4 * (spec.parts.length + 1));
    spec.parts.forEach((p, i) => writeU32BE(table, 4 * i, p.size));
    segments.push({ bytes: table });
    payloadSize += table.length;
    spec.parts.forEach((p, i) => {
      segments.push({ source: p, offset: 0, length: p.size });
      payloadSize += p.size;
      const pad = i < spec.parts.length - 1 ? (4 - (p.size % 4)) % 4 : 0;
      if (pad) {
        segments.push({ bytes: new Uint8Array(pad) });
        payloadSize += pad;
      }
    });
    return { segments, payloadSize, subImages: subImageLayout(spec.parts.map((p) => p.size), HEADER_SIZE + table.length) };
  }
  const data = spec.parts[0]!;
  segments.push({ source: data, offset: skip, length: data.size - skip });
  payloadSize = data.size - skip;
  if (spec.type !== IH_TYPE.FIRMWARE_IVT) return { segments, payloadSize };
  // i.MX HAB: pad the file to a 4 KiB boundary, append the IVT; ih_size also counts the CSF area signing adds.
  const aligned = alignUp(HEADER_SIZE + payloadSize, 0x1000);
  segments.push({ ivtPadding: aligned - HEADER_SIZE - payloadSize });
  payloadSize = aligned - HEADER_SIZE;
  segments.push({ bytes: imxIvt(spec.load, aligned) });
  payloadSize += IVT_SIZE;
  return { segments, payloadSize, declaredSize: payloadSize + IVT_CSF_SPAN - IVT_SIZE };
}

/** Where the parts of a multi/script image lie: from the table's end, each padded to 4 bytes but the last. */
function subImageLayout(sizes: readonly number[], tableEnd: number): SubImage[] {
  let offset = tableEnd;
  return sizes.map((size, i) => {
    const sub = { size, offset };
    offset += i < sizes.length - 1 ? alignUp(size, 4) : size;
    return sub;
  });
}

function imxIvt(load: number, alignedFileSize: number): Uint8Array {
  const ivt = new Uint8Array(IVT_SIZE);
  ivt.set([0xd1, 0x00, 0x20, 0x40]);
  const self = (load + alignedFileSize - HEADER_SIZE) >>> 0;
  writeU32LE(ivt, 4, load >>> 0);
  writeU32LE(ivt, 20, self);
  writeU32LE(ivt, 24, (self + IVT_SIZE) >>> 0);
  return ivt;
}

async function* segmentChunks(plan: Plan, chunkSize: number): AsyncGenerator<Uint8Array> {
  let fileOffset = HEADER_SIZE;
  for (const s of plan.segments) {
    if ('bytes' in s) {
      yield s.bytes;
      fileOffset += s.bytes.length;
    } else if ('source' in s) {
      let got = 0;
      for await (const c of s.source.chunks(s.offset, s.length, chunkSize)) {
        got += c.length;
        yield c;
      }
      if (got !== s.length) {
        throw new UimgError('TRUNCATED', `input shrank while reading: expected ${s.length} bytes, read ${got}`,
          { field: 'data', expected: s.length, actual: got }, 'another process is writing the input file');
      }
      fileOffset += got;
    } else {
      // firmware_ivt padding: each byte is the low 8 bits of its own file offset.
      const pad = new Uint8Array(s.ivtPadding);
      for (let i = 0; i < pad.length; i++) pad[i] = (fileOffset + i) & 0xff;
      yield pad;
      fileOffset += pad.length;
    }
  }
}

/** Where an OP-TEE image wants to be: entry from its header word at payload offset 16, load 28 bytes before. */
function teeAddresses(payloadHead: Uint8Array): { load: number; entry: number } {
  const entry = payloadHead.length >= 20 ? readU32LE(payloadHead, 16) : 0;
  return { entry, load: (entry - 28) >>> 0 };
}

export interface WrittenImage {
  header: UImageHeader;
  /** Multi and script images: the parts as listed. */
  subImages?: SubImage[];
}

/**
 * Write a whole image to `sink` and return its header. With a patchable sink the data is read once (header patched
 * at the end); otherwise the data is read twice (CRC first), so the header can go first.
 */
export async function writeImage(spec: ImageSpec, sink: ByteSink, chunkSize = DEFAULT_CHUNK_SIZE): Promise<WrittenImage> {
  const plan = await planImage(spec);
  const headFor = (dataCrc: number, payloadHead: Uint8Array): UImageHeader => {
    const addr = spec.os === IH_OS.TEE
      ? teeAddresses(payloadHead)
      : { load: spec.load >>> 0, entry: (spec.entry ?? spec.load + (spec.xip ? HEADER_SIZE : 0)) >>> 0 };
    const h = {
      time: spec.time >>> 0,
      dataSize: (plan.declaredSize ?? plan.payloadSize) >>> 0,
      ...addr,
      dataCrc,
      os: spec.os, arch: spec.arch, type: spec.type, comp: spec.comp,
      nameBytes: nameField(spec.name ?? ''),
    };
    const bytes = encodeHeader(h);
    return { ...h, magic: UIMAGE_MAGIC, headerCrc: readU32BE(bytes, 4) };
  };
  const payloadHead = new Uint8Array(20);
  let headLength = 0;
  const crcPass = async (each?: (c: Uint8Array) => Promise<void>): Promise<number> => {
    let crc = 0;
    for await (const c of segmentChunks(plan, chunkSize)) {
      if (headLength < payloadHead.length) {
        const take = c.subarray(0, payloadHead.length - headLength);
        payloadHead.set(take, headLength);
        headLength += take.length;
      }
      crc = crc32(c, crc);
      if (each) await each(c);
    }
    return crc;
  };
  if (sink.patch) {
    await sink.write(new Uint8Array(HEADER_SIZE));
    const crc = await crcPass((c) => sink.write(c));
    const header = headFor(crc, payloadHead.subarray(0, headLength));
    await sink.patch(0, encodeHeader(header));
    return { header, subImages: plan.subImages };
  }
  const crc = await crcPass();
  const header = headFor(crc, payloadHead.subarray(0, headLength));
  await sink.write(encodeHeader(header));
  for await (const c of segmentChunks(plan, chunkSize)) await sink.write(c);
  return { header, subImages: plan.subImages };
}

/** Everything read from an image, checked or not. Problems are data here; verifyImage() turns them into errors. */
export interface ImageReport {
  header: UImageHeader;
  headerBytes: Uint8Array;
  fileSize: number;
  magicOk: boolean;
  headerCrcOk: boolean;
  /** CRC over the ih_size bytes after the header (what U-Boot checks); absent when the header is not trusted. */
  dataCrc?: number;
  /** CRC over every byte after the header (what mkimage -l checks). */
  fileDataCrc?: number;
  /** Bytes after header + ih_size. */
  trailingBytes: number;
  /** Bytes ih_size promises beyond the end of the file. */
  missingBytes: number;
  /** Multi and script images: the size table. */
  subImages?: SubImage[];
  /** The size table runs past ih_size, or its parts do. */
  tableInconsistent?: boolean;
}

/** `checkData: false` skips the data CRCs, so reading costs the header and size table whatever the image size. */
export async function readImage(src: ByteSource, chunkSize = DEFAULT_CHUNK_SIZE, opts: { checkData?: boolean } = {}): Promise<ImageReport> {
  const headerBytes = await src.read(0, HEADER_SIZE);
  const header = decodeHeader(headerBytes);
  const magicOk = header.magic === UIMAGE_MAGIC;
  const headerCrcOk = magicOk && headerCrcOf(headerBytes) === header.headerCrc;
  const present = src.size - HEADER_SIZE;
  const report: ImageReport = {
    header, headerBytes, fileSize: src.size, magicOk, headerCrcOk,
    trailingBytes: Math.max(0, present - header.dataSize),
    missingBytes: Math.max(0, header.dataSize - present),
  };
  if (!headerCrcOk) return report;
  if (opts.checkData !== false) {
    const declared = Math.min(header.dataSize, present);
    let crc = 0;
    for await (const c of src.chunks(HEADER_SIZE, declared, chunkSize)) crc = crc32(c, crc);
    report.dataCrc = crc;
    for await (const c of src.chunks(HEADER_SIZE + declared, present - declared, chunkSize)) crc = crc32(c, crc);
    report.fileDataCrc = crc;
  }
  if (isMultiLayout(header.type)) Object.assign(report, await readSizeTable(src, header));
  return report;
}

/** The size table of a multi/script image, read up to its 0 terminator and never past the data present. */
async function readSizeTable(src: ByteSource, header: UImageHeader): Promise<Pick<ImageReport, 'subImages' | 'tableInconsistent'>> {
  const end = Math.min(src.size, HEADER_SIZE + header.dataSize);
  const sizes: number[] = [];
  let at = HEADER_SIZE;
  let terminated = false;
  while (!terminated && at + 4 <= end) {
    const window = await src.read(at, Math.min(4096, end - at) & ~3);
    for (let i = 0; i + 4 <= window.length; i += 4) {
      const size = readU32BE(window, i);
      at += 4;
      if (size === 0) {
        terminated = true;
        break;
      }
      sizes.push(size);
    }
  }
  const subImages = subImageLayout(sizes, at);
  const last = subImages.at(-1);
  const dataEnd = last ? last.offset + last.size : at;
  return { subImages, tableInconsistent: !terminated || dataEnd > end };
}

/** The problems of a report as errors, in U-Boot's order: magic, header CRC, size, data CRC, trailing bytes. */
export function problemsOf(r: ImageReport): UimgError[] {
  const out: UimgError[] = [];
  try {
    checkHeader(r.header, r.headerBytes);
  } catch (e) {
    out.push(e as UimgError);
    return out;
  }
  if (r.missingBytes > 0) {
    out.push(new UimgError('TRUNCATED',
      `data size says ${r.header.dataSize} bytes, file has ${r.fileSize - HEADER_SIZE} after the header`,
      { field: 'ih_size', offset: 12, expected: r.header.dataSize, actual: r.fileSize - HEADER_SIZE },
      'the image was cut short (an interrupted copy or a partition too small)'));
  }
  if (r.dataCrc !== undefined && r.dataCrc !== r.header.dataCrc && r.missingBytes === 0) {
    out.push(new UimgError('DATA_CRC_MISMATCH',
      `data CRC mismatch: header says ${hex32(r.header.dataCrc)}, data has ${hex32(r.dataCrc)}`,
      { field: 'ih_dcrc', offset: 24, expected: hex32(r.header.dataCrc), actual: hex32(r.dataCrc) },
      'the payload was changed or damaged after the image was made; U-Boot will say "Bad Data CRC"'));
  }
  if (r.trailingBytes > 0) {
    out.push(new UimgError('TRAILING_BYTES',
      `${r.trailingBytes} bytes follow the ${r.header.dataSize} bytes of data`,
      { field: 'ih_size', offset: 12, expected: r.fileSize - HEADER_SIZE, actual: r.header.dataSize },
      'flash padding or a concatenated file; U-Boot ignores it, mkimage -l rejects it'));
  }
  if (r.tableInconsistent) {
    out.push(new UimgError('TRUNCATED', 'the size table does not fit the data',
      { field: 'size table', offset: HEADER_SIZE },
      'the multi/script table names more bytes than the image holds'));
  }
  return out;
}

/** Read and check an image; throws the first problem. `allowTrailing` accepts flash padding after the data. */
export async function verifyImage(src: ByteSource, opts: { allowTrailing?: boolean } = {}): Promise<ImageReport> {
  const r = await readImage(src);
  const problem = problemsOf(r).find((e) => !(opts.allowTrailing && e.code === 'TRAILING_BYTES'));
  if (problem) throw problem;
  return r;
}

/** The byte range of part `index`: a sub-image of a multi/script image, or (index 0) the payload of any other. */
export function partRange(r: ImageReport, index: number): { offset: number; length: number } {
  if (r.subImages) {
    const sub = r.subImages[index];
    if (!sub) {
      throw new UimgError('NO_SUCH_PART', `no part ${index}: the image has ${r.subImages.length}`,
        { field: 'part', expected: `< ${r.subImages.length}`, actual: index }, 'parts count from 0');
    }
    if (sub.offset + sub.size > r.fileSize) {
      throw new UimgError('TRUNCATED', `part ${index} runs past the end of the file`,
        { field: 'part', offset: sub.offset, expected: sub.size, actual: Math.max(0, r.fileSize - sub.offset) });
    }
    return { offset: sub.offset, length: sub.size };
  }
  if (index !== 0) {
    throw new UimgError('NO_SUCH_PART', `no part ${index}: a single-file image has one part, 0`,
      { field: 'part', expected: 0, actual: index }, 'only multi-file and script images have several parts');
  }
  return payloadRange(r);
}

/** Everything ih_size covers after the header. */
export function payloadRange(r: ImageReport): { offset: number; length: number } {
  return { offset: HEADER_SIZE, length: Math.min(r.header.dataSize, r.fileSize - HEADER_SIZE) };
}

/** Build a whole image in memory (small images, tests, browsers). */
export async function buildImage(spec: Omit<ImageSpec, 'parts'> & { parts: readonly (Uint8Array | ByteSource)[] }): Promise<Uint8Array> {
  const sink = memorySink();
  const parts = spec.parts.map((p) => (p instanceof Uint8Array ? fromBytes(p) : p));
  await writeImage({ ...spec, parts }, sink);
  return sink.bytes();
}
