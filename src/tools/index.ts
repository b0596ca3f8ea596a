/**
 * The image-type descriptors and the one place that decides which descriptor serves a request, or that uimg cannot
 * serve it ("unsupported": a fallback to another tool hooks in here).
 */
import { UimgError } from '../errors.js';
import { TYPE, entryForId, longNameForId } from '../formats/uimage/tables.js';
import { fitTool } from './fit.js';
import { legacyTool } from './legacy.js';
import type { ImageTool } from './types.js';

export { fitTool, legacyTool };
export type { CreateParams, Extraction, ImageTool, ToolVerdict } from './types.js';

/** In the order mkimage -l tries them without -T (its link order: FIT before Default). */
export const IMAGE_TOOLS: readonly ImageTool[] = [fitTool as ImageTool, legacyTool as ImageTool];

/** imagetool_get_type: the descriptor owning a -T type id, if any. */
export function toolForType(type: number): ImageTool | undefined {
  return IMAGE_TOOLS.find((t) => t.ownsType(type));
}

/** What a tool was asked to do, as far as choosing a descriptor goes. */
export interface ToolRequest {
  action: 'create' | 'list' | 'extract';
  /** The -T type id; 0 when none was given. */
  type: number;
  /** -f or -F: a FIT is to be made. */
  fit?: boolean;
}

export type ToolChoice = { tool: ImageTool } | { unsupported: UimgError };

const unsupported = (message: string, type: number, hint: string): ToolChoice => ({
  unsupported: new UimgError('UNSUPPORTED_TYPE', message, { field: 'type', actual: longNameForId(TYPE, type) }, hint),
});

/**
 * The descriptor for a request, or why uimg does not serve it. A request without -T for listing is served by
 * detection (detectTool), so it is not decided here. `create` with type 0 means mkimage's default, kernel.
 */
export function chooseTool(req: ToolRequest): ToolChoice {
  if (req.action === 'create' && req.fit) {
    return fitTool.create
      ? { tool: fitTool as ImageTool }
      : { unsupported: new UimgError('UNSUPPORTED_TYPE', 'FIT images (-f, -F) are not supported by uimg yet; build legacy images with -d', { field: 'fit' }, 'build a legacy image with -d') };
  }
  const tool = toolForType(req.type);
  if (tool && (req.action !== 'create' || tool.create)) return { tool };
  const name = longNameForId(TYPE, req.type);
  if (req.action === 'extract') return unsupported(`unsupported type: ${name}`, req.type, 'name the image type with -T (flat_dt for a FIT, kernel for a uImage)');
  if (entryForId(TYPE, req.type)?.fitOnly) return unsupported(`unsupported type ${name}`, req.type, 'this type exists only inside a FIT');
  return unsupported(`unsupported type ${name}: uimg writes and lists legacy uImages only`, req.type, 'uimg writes legacy uImages and reads FITs');
}
