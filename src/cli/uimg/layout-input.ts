/** What the layout, flash and loader commands share: reading a layout and opening the images it names. */
import type { ByteSource } from '../../bytes/source.js';
import { UimgError } from '../../errors.js';
import { gatherImages, type LayoutImages } from '../../layout/images.js';
import type { BoardLayout, ImageRole } from '../../layout/model.js';
import { layoutImagePath, readLayoutFile } from '../../node/layout.js';
import { type Context, type NumberFlagOptions, type OpenedSource, ioError, noteInput, openSource, parseNumberFlag } from './common.js';

export async function loadLayout(ctx: Context, path: string): Promise<BoardLayout> {
  await noteInput(ctx, path);
  try {
    return await readLayoutFile(path);
  } catch (e) {
    throw ioError(e, path, 'read the layout');
  }
}

/** A flag's value, else the layout's, else a clear usage error. */
export function flagOrLayout(flag: string | undefined, name: string, fallback: number | undefined, where: string, opts: NumberFlagOptions = {}): number {
  if (flag !== undefined) return parseNumberFlag(flag, name, opts);
  if (fallback !== undefined) return fallback;
  throw new UimgError('USAGE', `--${name} is missing`, { field: name }, `give --${name}, or a --layout with ${where}`);
}

/** Open the files the layout names for these roles (all by default), use them, close them. */
export async function withLayoutFiles<T>(ctx: Context, layout: BoardLayout, use: (sources: Partial<Record<ImageRole, ByteSource>>) => Promise<T>,
  roles?: readonly ImageRole[]): Promise<T> {
  const opened: OpenedSource[] = [];
  try {
    const sources: Partial<Record<ImageRole, ByteSource>> = {};
    for (const p of Object.values(layout.images)) {
      const path = p && (!roles || roles.includes(p.role)) ? layoutImagePath(layout, p.role) : undefined;
      if (path === undefined) continue;
      const src = await openSource(ctx, path);
      opened.push(src);
      sources[p!.role] = src;
    }
    return await use(sources);
  } finally {
    await Promise.all(opened.map((s) => s.close()));
  }
}

/** The facts about the layout's images (sizes, kernel and DTB headers); a bad header names its file. */
export async function layoutImages(ctx: Context, layout: BoardLayout): Promise<LayoutImages> {
  return withLayoutFiles(ctx, layout, async (sources) => {
    const out: LayoutImages = {};
    for (const [role, src] of Object.entries(sources) as [ImageRole, ByteSource][]) {
      try {
        Object.assign(out, await gatherImages({ [role]: src }));
      } catch (e) {
        throw ioError(e, layoutImagePath(layout, role)!, 'read');
      }
    }
    return out;
  });
}
