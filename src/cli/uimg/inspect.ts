/** uimg inspect: what a boot file is, layer by layer, what is wrong with it, and which loaders take it. */
import type { Argv } from 'yargs';
import { UimgError, isUimgError } from '../../errors.js';
import { DEFAULT_MAX_BYTES, inspect, type InspectOptions } from '../../inspect/inspect.js';
import { allFindings, formatTree, ikconfigOf, reportJson } from '../../inspect/present.js';
import { DEFAULT_BOOTM_LEN } from '../../inspect/rules.js';
import { formatScan, scan, scanJson } from '../../inspect/scan.js';
import { countedSource, startProgress } from '../progress.js';
import { type Context, EXIT, badFlagValue, displayPath, exitCodeFor, ioError, openSource, parseAddress, parseNumberFlag, printJson } from './common.js';

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
  ikconfig: boolean;
  timeout: string;
  quiet: boolean;
}

/** --timeout's default: minutes longer than a 50 MB kernel takes on a slow board. */
const DEFAULT_TIMEOUT_SECONDS = 120;

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
    .option('fdt-addr', { type: 'string', describe: 'where the DTB will be, for the fdt-overlap rule (hex; with --load-addr for a bare zImage)' })
    .option('ikconfig', { type: 'boolean', default: false, describe: 'print the kernel\'s embedded .config (CONFIG_IKCONFIG), as scripts/extract-ikconfig does; exit 4 when it has none' })
    .option('timeout', { type: 'string', default: String(DEFAULT_TIMEOUT_SECONDS), describe: 'give up on a file after this many seconds (decimals allowed)' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress bar' }) as unknown as Argv<InspectArgs>;
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
    throw badFlagValue('timeout', value, 'a number of seconds', 'a positive number, e.g. 120 or 0.5', 'the time one file may take');
  }
  return seconds;
}

/** The inspection of one file ran past --timeout: say so about the file and the flag, whatever step it was in. */
function timedOut(file: string, seconds: number): UimgError {
  return new UimgError('TIMED_OUT', `${file}: inspection did not finish within --timeout ${seconds} s`,
    { file, field: 'timeout', expected: `<= ${seconds} s` }, 'raise --timeout, or use --headers-only, which reads a few KiB');
}

function noIkconfig(file: string): UimgError {
  return new UimgError('NO_SUCH_PART', `${file}: no embedded kernel configuration: no IKCFG_ST...IKCFG_ED block in the kernel (decompressed where compressed)`,
    { file, field: 'ikconfig', expected: 'IKCFG_ST', actual: 'none' }, 'the kernel was built without CONFIG_IKCONFIG: look for its /boot/config-* or /proc/config.gz');
}

export async function inspectCommand(ctx: Context, a: InspectArgs): Promise<number> {
  const timeout = parseSeconds(a.timeout);
  const other = a.ikconfig && (a.json ? 'json' : a.scan ? 'scan' : a.headersOnly || !a.deep ? 'headers-only' : undefined);
  if (other) {
    throw new UimgError('USAGE', `--ikconfig and --${other} do not go together: --ikconfig prints the config text alone, from the decompressed kernel`,
      { field: 'ikconfig', actual: other }, `drop --${other}`);
  }
  const opts: InspectOptions = {
    deep: a.ikconfig || (a.deep && !a.headersOnly),
    bootmLen: parseNumberFlag(a.bootmLen, 'bootm-len', { positive: true }),
    maxBytes: parseNumberFlag(a.maxBytes, 'max-bytes', { positive: true }),
    ...(a.loadAddr !== undefined ? { loadAddress: parseAddress(a.loadAddr, 'load-addr') } : {}),
    ...(a.fdtAddr !== undefined ? { fdtAddress: parseAddress(a.fdtAddr, 'fdt-addr') } : {}),
  };
  const results: object[] = [];
  let code: number = EXIT.OK;
  for (const path of a.files) {
    const file = displayPath(path);
    const signal = AbortSignal.timeout(timeout * 1000);
    try {
      // An empty file is an answer ("empty"), as file(1) gives it, not an error.
      const opened = await openSource(ctx, path, { allowEmpty: true });
      // Deep reads and scans walk the whole file (headers-only reads a few KiB: no bar).
      const progress = opts.deep || a.scan ? startProgress(ctx.io, `${a.scan ? 'scan' : 'inspect'} ${file}`, opened.size, a.quiet) : undefined;
      const src = progress ? countedSource(opened, progress) : opened;
      try {
        if (a.scan) {
          const hits = await scan(src, { ...opts, signal });
          progress?.done();
          if (a.json) results.push(scanJson(file, src.size, hits));
          else ctx.io.stdout(formatScan(file, src.size, hits));
          continue;
        }
        const report = await inspect(src, { ...opts, signal });
        progress?.done();
        if (report.root.format === 'zimage-arm' && opts.fdtAddress !== undefined && opts.loadAddress === undefined) {
          // A uImage says where its zImage goes; a bare zImage's decompression, and so the rule, depends on bootz's address.
          throw new UimgError('USAGE', `${file}: --fdt-addr needs --load-addr for a bare zImage: the fdt-overlap rule compares the DTB with where the zImage decompresses, which depends on where it is loaded`,
            { file, field: 'fdt-addr', expected: '--load-addr' }, 'add --load-addr with the address bootz is given for the kernel');
        }
        if (a.ikconfig) {
          const config = ikconfigOf(report.root);
          if (!config) throw noIkconfig(file);
          ctx.io.stdout(config.text);
          continue;
        }
        const error = a.strict ? allFindings(report.root).find((f) => f.severity === 'error') : undefined;
        if (error) {
          code = Math.max(code, EXIT.INVALID);
          if (!a.json) ctx.io.stderr(`uimg: ${file}: --strict: error ${error.rule}: ${error.message}${error.hint ? ` (hint: ${error.hint})` : ''}\n`);
        }
        if (a.json) results.push(reportJson(file, report));
        else ctx.io.stdout(formatTree(file, report));
      } finally {
        progress?.done();
        await opened.close();
      }
    } catch (e) {
      // A file-system error while reading (a directory, a vanished file) is about this file, like one at open.
      if (signal.aborted) e = timedOut(file, timeout);
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
