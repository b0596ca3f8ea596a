/**
 * The facts about a layout's image files that the checks and emitters use, gathered from ByteSources the caller
 * opened (the CLI resolves the paths; a browser could hand in Blobs): each file's size, and the kernel's and DTB's
 * headers.
 */
import type { ByteSource } from '../bytes/source.js';
import { describeDtb, describeKernel, type DtbImage, type KernelImage } from './kernel.js';
import type { ImageRole } from './model.js';

export interface LayoutImage {
  size: number;
  kernel?: KernelImage;
  dtb?: DtbImage;
}

export type LayoutImages = Partial<Record<ImageRole, LayoutImage>>;

export async function gatherImages(sources: Partial<Record<ImageRole, ByteSource>>): Promise<LayoutImages> {
  const out: LayoutImages = {};
  for (const [role, src] of Object.entries(sources) as [ImageRole, ByteSource][]) {
    out[role] = {
      size: src.size,
      ...(role === 'kernel' ? { kernel: await describeKernel(src) } : {}),
      ...(role === 'dtb' ? { dtb: await describeDtb(src) } : {}),
    };
  }
  return out;
}
