/** cpio newc/crc initramfs archives, raw or gzip-compressed, as a registry format for inspect. */
import type { ByteSource } from '../../bytes/source.js';
import { gunzipHead, isGzip } from '../compressed/gzip.js';
import type { Decoded, FormatModule } from '../types.js';
import { CRC_MAGIC, NEWC_MAGIC, isNewcMagic } from './newc.js';
import { normalName, readCpio, type CpioListing } from './read.js';

/** A summary, not the listing: an initramfs can hold thousands of entries (uimg cpio -t lists them). */
export interface CpioInfo {
  format: 'newc' | 'crc';
  compression: 'none' | 'gzip';
  segments: CpioListing['segments'];
  entries: number;
  files: number;
  directories: number;
  symlinks: number;
  devices: number;
  /** Bytes of regular-file data. */
  dataBytes: number;
  init: boolean;
}

/** Does the start of a gzip stream inflate to a newc header? (The probe's head is enough for the first bytes.) */
function gzipHoldsCpio(head: Uint8Array): boolean {
  const first = gunzipHead(head);
  return first !== undefined && isNewcMagic(first);
}

const magicBytes = (m: string) => [...m].map((c) => c.charCodeAt(0));

async function decodeCpio(src: ByteSource): Promise<Decoded<CpioInfo>> {
  const listing = await readCpio(src);
  const count = (...types: string[]) => listing.entries.filter((e) => types.includes(e.type ?? '')).length;
  const value: CpioInfo = {
    format: listing.entries[0]?.format ?? 'newc',
    compression: listing.segments[0]?.compression ?? 'none',
    segments: listing.segments,
    entries: listing.entries.length,
    files: count('reg'),
    directories: count('dir'),
    symlinks: count('lnk'),
    devices: count('chr', 'blk'),
    dataBytes: listing.entries.reduce((n, e) => n + (e.type === 'reg' ? e.fileSize : 0), 0),
    init: listing.entries.some((e) => normalName(e.name) === 'init'),
  };
  return {
    format: 'cpio',
    value,
    findings: listing.findings,
    summary: `cpio initramfs (${value.format}${value.compression === 'gzip' ? ', gzip-compressed' : ''}): ${value.entries} entries${value.init ? ', /init' : ''}`,
  };
}

export const cpioFormat: FormatModule<CpioInfo> = {
  id: 'cpio',
  name: 'cpio initramfs (newc or crc, raw or gzip-compressed)',
  signatures: [{ bytes: magicBytes(NEWC_MAGIC), at: 0 }, { bytes: magicBytes(CRC_MAGIC), at: 0 }],
  probe: (head) => isNewcMagic(head) || (isGzip(head) && gzipHoldsCpio(head)),
  decode: decodeCpio,
};
