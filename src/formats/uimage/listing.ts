/**
 * The header block mkimage and dumpimage print (after creation and for -l), byte for byte. It is built as bytes,
 * not text, because the name is printed raw: a 32-byte cut can split a UTF-8 sequence.
 */
import { concatBytes } from '../../bytes/source.js';
import { formatCtime, type TimeZone, UTC } from '../../time/tz.js';
import { HEADER_SIZE, nameBytesOf, type UImageHeader } from './header.js';
import { ARCH, COMP, IH_TYPE, OS, TYPE, longNameForId } from './tables.js';

export interface SubImage {
  /** Size from the table (unpadded). */
  size: number;
  /** File offset of the sub-image's first byte. */
  offset: number;
}

export interface ListingOptions {
  timeZone?: TimeZone;
  /** Sub-images of a multi or script image, from its size table. */
  subImages?: readonly SubImage[];
}

/** `12 Bytes = 0.01 KiB = 0.00 MiB`: the byte count as a signed 32-bit int, KiB/MiB rounded half to even like glibc. */
export function formatSizeLine(size: number): string {
  const u = size >>> 0;
  return `${u | 0} Bytes = ${hundredths(u * 25, 256)} KiB = ${hundredths(u * 25, 262144)} MiB`;
}

/** numerator/denominator (in hundredths) printed with two decimals, ties to even. */
function hundredths(numerator: number, denominator: number): string {
  let q = Math.floor(numerator / denominator);
  const twiceRest = (numerator - q * denominator) * 2;
  if (twiceRest > denominator || (twiceRest === denominator && q % 2 === 1)) q++;
  return `${Math.floor(q / 100)}.${String(q % 100).padStart(2, '0')}`;
}

export function imageTypeLine(h: Pick<UImageHeader, 'arch' | 'os' | 'type' | 'comp'>): string {
  return `${longNameForId(ARCH, h.arch)} ${longNameForId(OS, h.os)} ${longNameForId(TYPE, h.type)} ` +
    `(${longNameForId(COMP, h.comp)})`;
}

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

/** The i.MX HAB blocks line of a firmware_ivt image (IVT 32 bytes, CSF area 0x2000 counted into ih_size). */
function habBlocksLine(h: UImageHeader): string {
  return `HAB Blocks:   0x${hex8(h.load - HEADER_SIZE)}   0x0000   0x${hex8(h.dataSize + HEADER_SIZE + 32 - 0x2060)}`;
}

export function formatListingBytes(h: UImageHeader, opts: ListingOptions = {}): Uint8Array {
  const ascii = (s: string) => new TextEncoder().encode(s);
  const lines: Uint8Array[] = [];
  const line = (s: string) => lines.push(ascii(s + '\n'));
  const name = nameBytesOf(h);
  lines.push(ascii('Image Name:   '), name, ascii('\n'));
  line(`Created:      ${formatCtime(h.time >>> 0, opts.timeZone ?? UTC)}`);
  line(`Image Type:   ${imageTypeLine(h)}`);
  line(`Data Size:    ${formatSizeLine(h.dataSize)}`);
  line(`Load Address: ${hex8(h.load)}`);
  line(`Entry Point:  ${hex8(h.entry)}`);
  if (h.type === IH_TYPE.MULTI || h.type === IH_TYPE.SCRIPT) {
    line('Contents:');
    (opts.subImages ?? []).forEach((sub, i) => {
      line(`   Image ${i}: ${formatSizeLine(sub.size)}`);
      // mkimage prints a process memory address here; we print the real file offset.
      if (h.type === IH_TYPE.SCRIPT && i > 0) line(`    Offset = 0x${hex8(sub.offset)}`);
    });
  } else if (h.type === IH_TYPE.FIRMWARE_IVT) {
    line(habBlocksLine(h));
  }
  return concatBytes(lines);
}

/** The same block as text (the name decoded as UTF-8). */
export function formatListing(h: UImageHeader, opts: ListingOptions = {}): string {
  return new TextDecoder().decode(formatListingBytes(h, opts));
}
