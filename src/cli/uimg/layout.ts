/** `uimg layout check|map FILE`: judge a board layout, or draw its flash and RAM maps (text, SVG). */
import type { Argv } from 'yargs';
import { checkLayout, type LayoutReport } from '../../layout/check.js';
import { layoutMapText, layoutMapSvg } from '../../layout/map.js';
import type { LayoutImages } from '../../layout/images.js';
import type { BoardLayout } from '../../layout/model.js';
import { hex } from '../../numbers.js';
import { type Context, EXIT, type Handler, STDIO_PATH, displayPath, printJson, writeWhole } from './common.js';
import { layoutImages, loadLayout } from './layout-input.js';

interface CheckArgs { file: string; json: boolean; quiet: boolean }

function checkBuilder(y: Argv): Argv<CheckArgs> {
  return y
    .positional('file', { type: 'string', demandOption: true, describe: 'board layout (JSON or YAML)' })
    .option('json', { type: 'boolean', default: false })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print nothing; the exit code says it' }) as unknown as Argv<CheckArgs>;
}

async function judge(ctx: Context, file: string): Promise<{ layout: BoardLayout; images: LayoutImages; report: LayoutReport }> {
  const layout = await loadLayout(ctx, file);
  const images = await layoutImages(ctx, layout);
  return { layout, images, report: checkLayout(layout, images) };
}

/** Exit 0 when sound, 4 when an error-severity finding fires. */
async function checkCommand(ctx: Context, a: CheckArgs): Promise<number> {
  const { report } = await judge(ctx, a.file);
  if (a.json) {
    printJson(ctx, { ok: report.sound, file: displayPath(a.file), findings: report.findings });
  } else if (!a.quiet) {
    for (const f of report.findings) {
      ctx.io.stdout(`${f.location}: ${f.severity} [${f.rule}]: ${f.message}${f.hint ? ` (hint: ${f.hint})` : ''}\n`);
    }
    const count = (s: string) => {
      const n = report.findings.filter((f) => f.severity === s).length;
      return `${n} ${s}${n === 1 ? '' : 's'}`;
    };
    ctx.io.stdout(`${displayPath(a.file)}: ${report.sound ? 'sound' : 'NOT sound'} (${count('error')}, ${count('warning')})\n`);
  }
  return report.sound ? EXIT.OK : EXIT.INVALID;
}

interface MapArgs { file: string; svg?: string; json: boolean }

function mapBuilder(y: Argv): Argv<MapArgs> {
  return y
    .positional('file', { type: 'string', demandOption: true, describe: 'board layout (JSON or YAML)' })
    .option('svg', { type: 'string', describe: 'also write the maps as an SVG drawing to this file (- for stdout instead of the text)' })
    .option('json', { type: 'boolean', default: false }) as unknown as Argv<MapArgs>;
}

/** The maps whatever the findings say: a map of an unsound layout shows where it goes wrong. */
async function mapCommand(ctx: Context, a: MapArgs): Promise<number> {
  const { layout, images, report } = await judge(ctx, a.file);
  if (a.svg !== undefined) await writeWhole(ctx, a.svg, new TextEncoder().encode(layoutMapSvg(layout, images, report)), { flag: 'svg' });
  if (a.json) {
    printJson(ctx, {
      ok: report.sound, file: displayPath(a.file),
      flash: layout.partitions.map((p) => ({ ...p, end: p.offset + p.size, offsetHex: hex(p.offset), endHex: hex(p.offset + p.size) })),
      ram: (report.plan?.regions ?? []).map((r) => ({ ...r, end: r.start + r.size, startHex: hex(r.start), endHex: hex(r.start + r.size) })),
      findings: report.findings,
    });
  } else if (a.svg !== STDIO_PATH) {
    ctx.io.stdout(layoutMapText(layout, images, report));
  }
  return EXIT.OK;
}

export function layoutCommands(y: Argv, handle: Handler): Argv {
  return y
    .command('check <file>', 'is the layout sound? alignment, fit, RAM overlaps, loader; exit 4 when not', checkBuilder, handle(checkCommand))
    .command('map <file>', 'draw the flash and RAM maps (text; --svg FILE for a drawing)', mapBuilder, handle(mapCommand))
    .demandCommand(1, 'name an action: check, map');
}
