/** Board layout files on disk: read and parse one, and find the image files it names (relative to itself). */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UimgError } from '../errors.js';
import type { BoardLayout, ImageRole } from '../layout/model.js';
import { parseLayout } from '../layout/parse.js';

/** Layouts are small hand-written files; anything larger is not one. */
export const LAYOUT_FILE_LIMIT = 1 << 20;

export async function readLayoutFile(path: string): Promise<BoardLayout> {
  const bytes = await readFile(path);
  if (bytes.length > LAYOUT_FILE_LIMIT) {
    throw new UimgError('SIZE_LIMIT', `${path}: ${bytes.length} bytes is too large for a layout`, { file: path, expected: `<= ${LAYOUT_FILE_LIMIT}`, actual: bytes.length });
  }
  return parseLayout(bytes.toString('utf8'), path);
}

/** Where an image file named by the layout is: relative to the layout file's folder. */
export function layoutImagePath(layout: BoardLayout, role: ImageRole): string | undefined {
  const file = layout.images[role]?.file;
  return file === undefined ? undefined : resolve(dirname(layout.file), file);
}
