/** "Default Image support": legacy uImages (single, multi, script, XIP, firmware_ivt). */
import { problemsOf, readImage, partRange, payloadRange, writeImage, type ImageReport } from '../formats/uimage/image.js';
import { formatListingBytes } from '../formats/uimage/listing.js';
import { IH_TYPE, TYPE, entryForId } from '../formats/uimage/tables.js';
import type { UimgError } from '../errors.js';
import type { ImageTool } from './types.js';

/**
 * mkimage -l's verdict, with U-Boot's verify_header code: magic (-9), header CRC (-7), then the CRC of every byte after
 * the header (-11), so trailing bytes fail and a wrong ih_size with matching CRCs passes. The problem explains why.
 */
export function legacyVerdict(r: ImageReport): { code: number; problem?: UimgError } {
  const [problem] = problemsOf(r);
  if (!r.magicOk) return { code: -9, problem };
  if (!r.headerCrcOk) return { code: -7, problem };
  // A CRC over all the bytes that differs means some check of problemsOf() failed too.
  return r.fileDataCrc === r.header.dataCrc ? { code: 0 } : { code: -11, problem };
}

export const legacyTool: ImageTool<ImageReport> = {
  id: 'legacy',
  name: 'Default Image support',
  ownsType: (type) => entryForId(TYPE, type)?.legacy === true,
  async verify(src) {
    const report = await readImage(src);
    return { ...legacyVerdict(report), report, warnings: [] };
  },
  print: (r, timeZone) => formatListingBytes(r.header, { timeZone, subImages: r.subImages }),
  extract(r, position, image) {
    // The type byte in the file decides: a multi image gives sub-image N, anything else (script too) its payload.
    if (r.header.type !== IH_TYPE.MULTI) return { range: payloadRange(r) };
    try {
      return { range: partRange(r, position) };
    } catch {
      return { refusal: { stream: 'stderr', text: `No such data file ${position} in "${image}"`, named: true } };
    }
  },
  async create(p, sink) {
    const written = await writeImage({
      arch: p.arch, os: p.os, type: p.type, comp: p.comp, load: p.load, entry: p.entry, name: p.name, time: p.time,
      parts: p.noData ? [] : p.parts, xip: p.xip, noData: p.noData,
    }, sink);
    return { listing: formatListingBytes(written.header, { timeZone: p.timeZone, subImages: written.subImages }) };
  },
};
