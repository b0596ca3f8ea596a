/**
 * What a loader needs to know about the kernel and DTB files, read from their own headers (never typed in): the
 * kind of file, how many bytes the loader copies, where a uImage wants its data, and how much RAM the kernel takes
 * once it runs (an ARM zImage's size tag, an arm64 Image's image_size). The parsing itself belongs to the format
 * modules; this only gathers their answers.
 */
import { readClamped, subSource, type ByteSource } from '../bytes/source.js';
import { UimgError } from '../errors.js';
import { FDT_HEADER_SIZE, decodeFdtHeader, isFdt } from '../formats/fdt/header.js';
import { decodeArm64Header, isArm64Image, type Arm64Image } from '../formats/image-arm64/image-arm64.js';
import { isBzImage } from '../formats/bzimage/bzimage.js';
import { HEADER_SIZE, isUImageHeader, checkHeader, decodeHeader, type UImageHeader } from '../formats/uimage/header.js';
import { COMP, IH_COMP, shortNameForId } from '../formats/uimage/tables.js';
import { isArmZImage, readArmZImage, type ZImageArm } from '../formats/zimage-arm/zimage-arm.js';
import { PROBE_BYTES } from '../formats/types.js';
import { detectCompression, findPayloads, type Compression } from '../formats/compressed/index.js';
import { compLabelMismatch } from '../formats/uimage/format.js';

export type KernelKind = 'uimage' | 'zimage-arm' | 'image-arm64' | 'bzimage' | 'unknown';

export interface KernelImage {
  kind: KernelKind;
  fileSize: number;
  /** The legacy header, for a uImage. */
  uimage?: UImageHeader;
  /** The compression a uImage declares ('none', 'gzip', ...). */
  compression?: string;
  /** What runs: the file itself, or the payload of an uncompressed uImage ('unknown' when compressed). */
  inner: KernelKind;
  /**
   * The compression the data really has (a uImage's payload, or the file itself), whatever the label says: what a
   * loader that copies and jumps would jump into.
   */
  dataCompression?: Compression;
  zimage?: ZImageArm;
  arm64?: Arm64Image;
}

/**
 * What the bytes are, decided from the bytes alone. A compressed stream is recognised as inspect's stream decoder
 * does (a validated stream at offset 0, else its magic: a bzip2 block is too big to trial-decode from the head).
 */
async function innerKind(src: ByteSource): Promise<Pick<KernelImage, 'inner' | 'zimage' | 'arm64' | 'dataCompression'>> {
  const head = await readClamped(src, 0, PROBE_BYTES);
  if (isArmZImage(head)) return { inner: 'zimage-arm', zimage: (await readArmZImage(src)).zimage };
  if (isArm64Image(head)) return { inner: 'image-arm64', arm64: decodeArm64Header(head) };
  if (isBzImage(head)) return { inner: 'bzimage' };
  const dataCompression = findPayloads(head, { maxCandidates: 1 }).find((p) => p.offset === 0)?.format ?? detectCompression(head);
  return { inner: 'unknown', ...(dataCompression ? { dataCompression } : {}) };
}

/**
 * 'the header says none, the data is gzip compressed' when a uImage's compression label disagrees with its data
 * (an xz payload labelled lzma is U-Boot's usual spelling, not a disagreement). The one statement of the mismatch
 * that the loader emitters, `layout check` and inspect's loader verdicts use.
 */
export function compressionMislabel(comp: number, detected: string | undefined): string | undefined {
  if (!compLabelMismatch(comp, detected)) return undefined;
  return `the header says ${shortNameForId(COMP, comp) ?? `compression ${comp}`}, the data is ${detected ? `${detected} compressed` : 'not compressed'}`;
}

/** compressionMislabel for a described kernel. */
export function kernelMislabel(k: KernelImage): string | undefined {
  return k.kind === 'uimage' ? compressionMislabel(k.uimage!.comp, k.dataCompression) : undefined;
}

/** Describe a kernel file. A uImage must have a sound header (magic, header CRC): loaders act on its fields. */
export async function describeKernel(src: ByteSource): Promise<KernelImage> {
  const head = await readClamped(src, 0, HEADER_SIZE);
  if (isUImageHeader(head)) {
    const h = decodeHeader(head);
    checkHeader(h, head);
    if (src.size < HEADER_SIZE + h.dataSize) {
      throw new UimgError('TRUNCATED', `the uImage says ${h.dataSize} data bytes, the file has ${src.size - HEADER_SIZE}`,
        { field: 'ih_size', offset: 12, expected: HEADER_SIZE + h.dataSize, actual: src.size }, 'the file was cut short');
    }
    const compression = shortNameForId(COMP, h.comp) ?? `compression ${h.comp}`;
    const payload = await innerKind(subSource(src, HEADER_SIZE, h.dataSize));
    // A compressed uImage's payload does not run as it is, whatever it decompresses to.
    const inner = h.comp === IH_COMP.NONE ? payload : { inner: 'unknown' as const, ...(payload.dataCompression ? { dataCompression: payload.dataCompression } : {}) };
    return { kind: 'uimage', fileSize: src.size, uimage: h, compression, ...inner };
  }
  const inner = await innerKind(src);
  return { kind: inner.inner, fileSize: src.size, ...inner };
}

/** Bytes the loader reads from flash for this kernel: uImage header + data, or the zImage's end - start. */
export function kernelReadLength(k: KernelImage): number {
  if (k.uimage) return HEADER_SIZE + k.uimage.dataSize;
  if (k.zimage && k.zimage.length > 0) return k.zimage.length + (k.zimage.appendedDtb?.totalSize ?? 0);
  return k.fileSize;
}

export interface DtbImage {
  fileSize: number;
  /** The FDT's totalsize, when the file is a flattened device tree. */
  totalSize?: number;
}

export async function describeDtb(src: ByteSource): Promise<DtbImage> {
  const head = await readClamped(src, 0, FDT_HEADER_SIZE);
  if (isFdt(head)) return { fileSize: src.size, totalSize: decodeFdtHeader(head).totalSize };
  return { fileSize: src.size };
}

/** How a kernel is named for people: 'uImage (none) wrapping an ARM zImage'. */
export function kernelLabel(k: KernelImage): string {
  const name: Record<KernelKind, string> = {
    uimage: 'uImage', 'zimage-arm': 'ARM zImage', 'image-arm64': 'arm64 Image', bzimage: 'x86 bzImage', unknown: 'unrecognised kernel',
  };
  if (k.kind === 'unknown' && k.dataCompression) return `${k.dataCompression}-compressed file`;
  if (k.kind !== 'uimage') return name[k.kind];
  const holds = k.inner !== 'unknown' ? `, wrapping an ${name[k.inner]}` : kernelMislabel(k) ? `, holding ${k.dataCompression ?? 'uncompressed'} data` : '';
  return `uImage (${k.compression}${holds})`;
}
