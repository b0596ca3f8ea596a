/** uimg inspect: what a boot file is, layer by layer, what is wrong with it, and which loaders take it. */
import type { Argv } from 'yargs';
import { isUimgError } from '../../errors.js';
import { DEFAULT_MAX_BYTES, inspect, type InspectOptions } from '../../inspect/inspect.js';
import { allFindings, formatTree, reportJson } from '../../inspect/present.js';
import { DEFAULT_BOOTM_LEN } from '../../inspect/rules.js';
import { formatScan, scan, scanJson } from '../../inspect/scan.js';
import { type Context, EXIT, displayPath, exitCodeFor, ioError, openSource, parseAddress, parseNumberFlag, printJson } from './common.js';

export interface InspectArgs {
  files: string[];
  json: boolean;
  deep: boolean;
  headersOnly: boolean;
  scan: boolean;
  strict: boolean;
  bootmLen: string;
  maxBytes: string;
  loadAddr?: string;
  fdtAddr?: string;
}

export function inspectBuilder(y: Argv): Argv<InspectArgs> {
  return y
    .positional('files', { type: 'string', array: true, demandOption: true, describe: 'files to inspect (- for stdin)' })
    .option('json', { type: 'boolean', default: false, describe: 'versioned JSON (docs/json-schema.md)' })
    // Deep by default: what people most want from a kernel file is its version, and that takes decompressing it.
    .option('deep', { type: 'boolean', default: true, describe: 'read everything: data CRCs, decompress payloads (bounded by --max-bytes), find the Linux banner' })
    .option('headers-only', { type: 'boolean', default: false, describe: 'read headers only (= --no-deep): a few KiB whatever the file size' })
    .option('scan', { type: 'boolean', default: false, describe: 'find headers at any offset (uImage, zImage, DTB, compressed streams, ...), like binwalk' })
    .option('strict', { type: 'boolean', default: false, describe: 'exit 4 when a rule of severity error fires' })
    .option('bootm-len', { type: 'string', default: String(DEFAULT_BOOTM_LEN), describe: 'U-Boot\'s CONFIG_SYS_BOOTM_LEN for the bootm-len rule (bytes; 0x.., K, M suffixes)' })
    .option('max-bytes', { type: 'string', default: String(DEFAULT_MAX_BYTES), describe: 'the most --deep or --scan reads or decompresses of one stream' })
    .option('load-addr', { type: 'string', describe: 'where a zImage (not in a uImage) will run, for the overlap rules (hex)' })
    .option('fdt-addr', { type: 'string', describe: 'where the DTB will be, for the fdt-overlap rule (hex)' }) as unknown as Argv<InspectArgs>;
}

export async function inspectCommand(ctx: Context, a: InspectArgs): Promise<number> {
  const opts: InspectOptions = {
    deep: a.deep && !a.headersOnly,
    bootmLen: parseNumberFlag(a.bootmLen, 'bootm-len', { positive: true }),
    maxBytes: parseNumberFlag(a.maxBytes, 'max-bytes', { positive: true }),
    ...(a.loadAddr !== undefined ? { loadAddress: parseAddress(a.loadAddr, 'load-addr') } : {}),
    ...(a.fdtAddr !== undefined ? { fdtAddress: parseAddress(a.fdtAddr, 'fdt-addr') } : {}),
  };
  const results: object[] = [];
  let code: number = EXIT.OK;
  for (const path of a.files) {
    const file = displayPath(path);
    try {
      // An empty file is an answer ("empty"), as file(1) gives it, not an error.
      const src = await openSource(ctx, path, { allowEmpty: true });
      try {
        if (a.scan) {
          const hits = await scan(src, opts);
          if (a.json) results.push(scanJson(file, src.size, hits));
          else ctx.io.stdout(formatScan(file, src.size, hits));
          continue;
        }
        const report = await inspect(src, opts);
        const error = a.strict ? allFindings(report.root).find((f) => f.severity === 'error') : undefined;
        if (error) {
          code = Math.max(code, EXIT.INVALID);
          if (!a.json) ctx.io.stderr(`uimg: ${file}: --strict: error ${error.rule}: ${error.message}${error.hint ? ` (hint: ${error.hint})` : ''}\n`);
        }
        if (a.json) results.push(reportJson(file, report));
        else ctx.io.stdout(formatTree(file, report));
      } finally {
        await src.close();
      }
    } catch (e) {
      // A file-system error while reading (a directory, a vanished file) is about this file, like one at open.
      if (!isUimgError(e) && typeof (e as { code?: unknown }).code !== 'string') throw e;
      const err = ioError(e, file, 'read');
      code = Math.max(code, exitCodeFor(err));
      if (a.json) results.push({ file, error: err.toJSON() });
      else ctx.io.stderr(`uimg: ${err.describe()}\n`);
    }
  }
  if (a.json) printJson(ctx, { ok: code === EXIT.OK, files: results });
  return code;
}
