/**
 * The uImage format descriptor for the registry, the header as data (numbers with hex beside them, table names),
 * and the checks that look at one image on its own (entry point, compression label). Checks that compare the header
 * with the kernel inside live with the inspection (src/inspect/rules.ts).
 */
import { readClamped, type ByteSource } from '../../bytes/source.js';
import { hex32, type UimgError } from '../../errors.js';
import { finding, type Finding, type RuleId } from '../../findings.js';
import type { Decoded, FormatModule, Part } from '../types.js';
import { HEADER_SIZE, UIMAGE_MAGIC, nameBytesOf, nameOf, type UImageHeader } from './header.js';
import { problemsOf, readImage } from './image.js';
import type { SubImage } from './listing.js';
import { ARCH, COMP, IH_OS, IH_TYPE, OS, TYPE, entryForId, shortNameForId, type NameTable } from './tables.js';
import { readU32BE } from '../../bytes/endian.js';

/** How much of a script image's text the inspection shows. */
const SCRIPT_PREVIEW_BYTES = 4096;

function named(table: NameTable, id: number) {
  const e = entryForId(table, id);
  return { id, name: e?.name ?? null, longName: e?.longName ?? table.unknownLongName };
}

export type HeaderJson = ReturnType<typeof headerJson>;

export function headerJson(h: UImageHeader) {
  return {
    magic: h.magic, magicHex: hex32(h.magic),
    headerCrc: h.headerCrc, headerCrcHex: hex32(h.headerCrc),
    time: h.time, timeIso: new Date(h.time * 1000).toISOString(),
    dataSize: h.dataSize,
    load: h.load, loadHex: hex32(h.load),
    entry: h.entry, entryHex: hex32(h.entry),
    dataCrc: h.dataCrc, dataCrcHex: hex32(h.dataCrc),
    os: named(OS, h.os), arch: named(ARCH, h.arch), type: named(TYPE, h.type), compression: named(COMP, h.comp),
    name: nameOf(h),
    nameHex: Array.from(nameBytesOf(h), (b) => b.toString(16).padStart(2, '0')).join(''),
  };
}

/** The entry point lies outside the loaded data (kernel_noload: ih_ep is an offset into the data). */
export function entryOutside(h: Pick<UImageHeader, 'os' | 'type' | 'load' | 'entry' | 'dataSize'>): boolean {
  if (h.os === IH_OS.TEE || h.dataSize === 0) return false;
  if (h.type === IH_TYPE.KERNEL_NOLOAD) return h.entry >= h.dataSize;
  if (h.type !== IH_TYPE.KERNEL && h.type !== IH_TYPE.STANDALONE) return false;
  return (h.entry - h.load) >>> 0 >= h.dataSize;
}

/** The compression label differs from what the data's first bytes say (`detected` undefined: not compressed). */
export function compLabelMismatch(comp: number, detected: string | undefined): boolean {
  const label = shortNameForId(COMP, comp);
  return (detected ?? 'none') !== label && !(detected === 'xz' && label === 'lzma');
}

export interface UImageInfo {
  header: HeaderJson;
  fileSize: number;
  headerCrcOk: boolean;
  /** Only when the data was read (--deep). */
  dataCrcOk?: boolean;
  computedDataCrc?: number;
  /** Bytes after header + ih_size. */
  trailingBytes: number;
  /** Bytes ih_size promises beyond the end of the file. */
  missingBytes: number;
  /** Multi-file and script images: the size table. */
  subImages?: SubImage[];
  /** Script images: the start of the script text. */
  script?: string;
}

const RULE_OF: Partial<Record<UimgError['code'], RuleId>> = {
  HEADER_CRC_MISMATCH: 'header-crc', DATA_CRC_MISMATCH: 'data-crc', TRUNCATED: 'truncated', TRAILING_BYTES: 'trailing-bytes',
};

async function decodeUImage(src: ByteSource, opts: { full?: boolean } = {}): Promise<Decoded<UImageInfo>> {
  const r = await readImage(src, undefined, { checkData: opts.full === true });
  const h = r.header;
  const findings: Finding[] = problemsOf(r).map((e) => finding(RULE_OF[e.code] ?? 'malformed', e.message, e.hint, e.data.offset));
  if (r.headerCrcOk && entryOutside(h)) {
    findings.push(finding('entry-outside', h.type === IH_TYPE.KERNEL_NOLOAD
      ? `entry offset ${hex32(h.entry)} is past the ${h.dataSize} bytes of a kernel_noload image`
      : `entry ${hex32(h.entry)} is outside the image [${hex32(h.load)}, ${hex32(h.load + h.dataSize)})`,
    'the entry point is usually the load address (load + 0x40 for XIP; an offset for kernel_noload)', 20));
  }
  const payloadEnd = Math.min(src.size, HEADER_SIZE + h.dataSize);
  const parts: Part[] = r.subImages
    ? r.subImages.map((s, i) => ({ name: `image ${i}`, offset: s.offset, length: Math.max(0, Math.min(s.size, src.size - s.offset)) }))
    : [{ name: 'payload', offset: HEADER_SIZE, length: payloadEnd - HEADER_SIZE }];
  const value: UImageInfo = {
    header: headerJson(h),
    fileSize: r.fileSize,
    headerCrcOk: r.headerCrcOk,
    ...(r.dataCrc !== undefined ? { dataCrcOk: r.dataCrc === h.dataCrc, computedDataCrc: r.dataCrc } : {}),
    trailingBytes: r.trailingBytes,
    missingBytes: r.missingBytes,
    ...(r.subImages ? { subImages: r.subImages } : {}),
  };
  const script = h.type === IH_TYPE.SCRIPT ? parts[0] : undefined;
  if (script) {
    value.script = new TextDecoder().decode(await readClamped(src, script.offset, Math.min(script.length, SCRIPT_PREVIEW_BYTES)));
  }
  const comp = shortNameForId(COMP, h.comp) ?? `compression ${h.comp}`;
  return {
    format: 'uimage',
    value,
    findings,
    // A script's text is shown in the value; there is nothing inside it to probe.
    parts: script ? [] : parts,
    summary: `U-Boot legacy uImage, ${named(TYPE, h.type).longName}, ${named(ARCH, h.arch).longName}, ${comp}, "${nameOf(h)}"`,
  };
}

export const uimageFormat: FormatModule<UImageInfo> = {
  id: 'uimage',
  name: 'U-Boot legacy uImage',
  signatures: [{ bytes: [0x27, 0x05, 0x19, 0x56], at: 0 }],
  hexFields: ['computedDataCrc', 'offset'],
  probe: (head, size) => size >= HEADER_SIZE && head.length >= 4 && readU32BE(head, 0) === UIMAGE_MAGIC,
  decode: decodeUImage,
};
