/**
 * The image to burn: every image file at its partition's offset, erased bytes (0xFF, or the layout's erasedByte)
 * everywhere else. Data only: a NAND image carries no OOB/ECC bytes (the programmer or the loader's nand write adds
 * them). Streams through the sink, so memory stays flat whatever the flash size.
 */
import { DEFAULT_CHUNK_SIZE, type ByteSink, type ByteSource } from '../bytes/source.js';
import { UimgError } from '../errors.js';
import { type BoardLayout, type ImageRole, partitionByName, placedImages } from './model.js';
import { alignUp } from '../bytes/align.js';
import { hex } from '../numbers.js';

/** Beyond this, a full-device image must be asked for by trimming (an eMMC layout could mean 64 GiB of 0xFF). */
export const FLASH_IMAGE_LIMIT = 4 * 2 ** 30;

export interface ComposeOptions {
  /** Stop after the last image, rounded up to the erase block, instead of filling the whole device. */
  trim?: boolean;
}

export interface ComposedFlash {
  size: number;
  placed: { role: ImageRole; partition: string; offset: number; size: number }[];
}

export async function composeFlash(layout: BoardLayout, sources: Partial<Record<ImageRole, ByteSource>>, sink: ByteSink,
  opts: ComposeOptions = {}): Promise<ComposedFlash> {
  const placed = placedImages(layout).flatMap((p) => {
    const src = sources[p.role];
    const part = partitionByName(layout, p.partition)!;
    return src ? [{ role: p.role, partition: part.name, offset: part.offset, size: src.size, src, room: part.size }] : [];
  }).sort((a, b) => a.offset - b.offset);
  for (const [i, p] of placed.entries()) {
    const next = placed[i + 1];
    if (p.size > p.room || p.offset + p.size > layout.flash.size || (next && p.offset + p.size > next.offset)) {
      throw new UimgError('BAD_LAYOUT', `the ${p.role} (${p.size} bytes) does not fit partition ${p.partition} at ${hex(p.offset)}`,
        { field: `images.${p.role}`, expected: `<= ${Math.min(p.room, (next?.offset ?? layout.flash.size) - p.offset)}`, actual: p.size },
        'run uimg layout check');
    }
  }
  const last = placed[placed.length - 1];
  const size = opts.trim ? Math.min(layout.flash.size, alignUp(last ? last.offset + last.size : 0, layout.flash.eraseBlockSize)) : layout.flash.size;
  if (size > FLASH_IMAGE_LIMIT) {
    throw new UimgError('SIZE_LIMIT', `a ${size}-byte flash image is more than uimg writes without --trim`,
      { field: 'flash.size', expected: `<= ${FLASH_IMAGE_LIMIT}`, actual: size }, 'use --trim to stop after the last image');
  }
  const erased = new Uint8Array(Math.min(DEFAULT_CHUNK_SIZE, Math.max(1, size))).fill(layout.flash.erasedByte);
  let at = 0;
  const fillTo = async (to: number) => {
    for (; at < to; at += Math.min(erased.length, to - at)) await sink.write(erased.subarray(0, Math.min(erased.length, to - at)));
  };
  for (const p of placed) {
    await fillTo(p.offset);
    for await (const chunk of p.src.chunks(0, p.size)) await sink.write(chunk);
    at += p.size;
  }
  await fillTo(size);
  return { size, placed: placed.map(({ role, partition, offset, size: n }) => ({ role, partition, offset, size: n })) };
}
