/** `uimg flash LAYOUT -o flash.bin`: the image to burn, composed from the layout's image files. */
import type { Argv } from 'yargs';
import { UimgError } from '../../errors.js';
import { checkLayout } from '../../layout/check.js';
import { composeFlash } from '../../layout/flash.js';
import { hex } from '../../numbers.js';
import { countedSink, startProgress } from '../progress.js';
import { QUIET_OPTION, type Context, EXIT, displayPath, openSink, printJson, summary } from './common.js';
import { layoutImages, loadLayout, withLayoutFiles } from './layout-input.js';

export interface FlashArgs { layout: string; output: string; trim: boolean; force: boolean; json: boolean; quiet: boolean }

export function flashBuilder(y: Argv): Argv<FlashArgs> {
  return y
    .positional('layout', { type: 'string', demandOption: true, describe: 'board layout (JSON or YAML)' })
    .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'flash image to write (- for stdout)' })
    .option('trim', { type: 'boolean', default: false, describe: 'stop after the last image (rounded up to an erase block), not at the end of the device' })
    .option('force', { type: 'boolean', default: false, describe: 'compose even when the layout check finds errors (images must still fit)' })
    .option('json', { type: 'boolean', default: false })
    .option('quiet', QUIET_OPTION) as unknown as Argv<FlashArgs>;
}

/** Refuses an unsound layout (unless --force): a flash image of a layout that cannot boot is a trap. */
export async function flashCommand(ctx: Context, a: FlashArgs): Promise<number> {
  const layout = await loadLayout(ctx, a.layout);
  const report = checkLayout(layout, await layoutImages(ctx, layout));
  const error = report.findings.find((f) => f.severity === 'error');
  if (error && !a.force) {
    throw new UimgError('BAD_LAYOUT', `${error.location}: ${error.message}`, { field: error.path, rule: error.rule },
      'fix the layout (uimg layout check lists every finding), or pass --force');
  }
  const composed = await withLayoutFiles(ctx, layout, async (sources) => {
    const sink = await openSink(ctx, a.output);
    // The device size is the most it writes (--trim stops earlier).
    const progress = startProgress(ctx.io, `flash ${displayPath(a.output)}`, layout.flash.size, a.quiet);
    try {
      const result = await composeFlash(layout, sources, countedSink(sink, progress), { trim: a.trim });
      await sink.commit();
      return result;
    } finally {
      progress.done();
      await sink.abort();
    }
  });
  if (a.json) {
    printJson(ctx, { ok: true, file: displayPath(a.output), size: composed.size, placed: composed.placed.map((p) => ({ ...p, offsetHex: hex(p.offset) })) });
  }
  summary(ctx, a, [a.output], `${displayPath(a.output)}: ${composed.size} bytes (${hex(composed.size)}), ${composed.placed.length} image${composed.placed.length === 1 ? '' : 's'} placed: ${
    composed.placed.map((p) => `${p.role} at ${hex(p.offset)}`).join(', ')}`);
  return EXIT.OK;
}
