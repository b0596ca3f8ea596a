/** The uimg CLI: one yargs command per module, each a thin adapter over the library. */
import yargs from 'yargs';
import { UimgError } from '../../errors.js';
import { Exit, type Stdio } from '../system.js';
import { type Context, EXIT, type Handler, STDIO_PATH, reportError } from './common.js';
import { usageError, valuesRequired } from './command-line.js';
import { createBuilder, createCommand } from './create.js';
import { fdtCommands } from './fdt.js';
import { signBuilder, signCommand } from './fit.js';
import { flashBuilder, flashCommand } from './flash.js';
import { layoutCommands } from './layout.js';
import { loaderCommands } from './loader.js';
import { cpioBuilder, cpioCommand } from './cpio.js';
import { kexecCommands } from './kexec.js';
import { romimageCommands } from './romimage.js';
import { extractBuilder, extractCommand, listBuilder, listCommand, verifyBuilder, verifyCommand } from './inspect-image.js';
import { inspectBuilder, inspectCommand } from './inspect.js';

/** stdin is read whole (it cannot be re-read or sized); past this, a file is the right tool. */
const STDIN_LIMIT = 1 << 30;

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    size += (c as Buffer).length;
    if (size > STDIN_LIMIT) {
      throw new UimgError('SIZE_LIMIT', `standard input: more than ${STDIN_LIMIT} bytes`, { file: '-', expected: `<= ${STDIN_LIMIT}`, actual: size },
        'stdin is held in memory whole; give the data as a file instead');
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function uimgMain(argv0: string, args: readonly string[], env: NodeJS.ProcessEnv, io: Stdio): Promise<number> {
  let code: number = EXIT.OK;
  const json = args.includes('--json') || args.includes('--format=json') || args.some((a, i) => a === '--format' && args[i + 1] === 'json');
  const ctx: Context = { io, env, readStdin, inputs: new Map(), json };
  const handle: Handler = <A>(command: (ctx: Context, a: A) => Promise<number>) => async (a: A) => {
    try {
      code = await command(ctx, a);
    } catch (e) {
      code = reportError(ctx, e, json);
    }
  };
  const parsed = args.map((a) => (a === '-' ? STDIO_PATH : a));
  const y = valuesRequired(yargs(parsed));
  try {
    await y
      .scriptName(argv0)
      .usage('$0 <command> [options]\n\nU-Boot legacy images (uImage): create, list, verify, extract.')
      .command('create [data..]', 'make a uImage from data files, or a FIT with --fit (flags or --from DESCRIPTION)', createBuilder, handle(createCommand))
      .command('sign <image>', 'sign a FIT\'s signature nodes with a key; write the public key into a control DTB', signBuilder, handle(signCommand))
      .command('list <files..>', 'show image headers (as mkimage -l, or --json, or --format mkimage)', listBuilder, handle(listCommand))
      .command('verify <files..>', 'check magic, CRCs, sizes; exit 4 when a check fails', verifyBuilder, handle(verifyCommand))
      .command('extract <file>', 'copy a part (or --all) out of an image', extractBuilder, handle(extractCommand))
      .command('kexec', 'kexec bootloader: kit (its files), plan (what kexec_load gets)', (y) => kexecCommands(y, handle))
      .command('cpio [archive]', 'initramfs cpio archives: write (--list/--dir), list (-t), extract (-x)', cpioBuilder, handle(cpioCommand))
      .command('inspect <files..>', 'what a boot file is, layer by layer: headers, payloads, findings, loaders', inspectBuilder, handle(inspectCommand))
      .command('fdt', 'device trees (DTB, FIT): get, list, put values as fdtget/fdtput do', (y) => fdtCommands(y, handle))
      .command('layout', 'check a board layout, or draw its flash and RAM maps', (y) => layoutCommands(y, handle))
      .command('flash <layout>', 'compose the flash image to burn from a layout (erased bytes between images)', flashBuilder, handle(flashCommand))
      .command('loader', 'loader configuration from the images: uboot-env, at91bootstrap, c-header, spl-falcon; kexec (a kexec bootloader kit)', (y) => loaderCommands(y, handle))
      .command('romimage', 'ROM images that boot from the reset vector: sh, arm, arm64; script converts board scripts', (y) => romimageCommands(y, handle))
      .demandCommand(1, 'name a command')
      .strict()
      .help()
      .version(false)
      .wrap(Math.min(110, process.stdout.columns ?? 100))
      .exitProcess(false)
      .fail((msg, err) => {
        // The parser's own complaints (a flag without its value) come as errors; anything else is a real one.
        if (err && err.name !== 'YError') throw err;
        throw usageError(y, msg ?? err?.message ?? 'bad command line', parsed, argv0);
      })
      .parseAsync();
  } catch (e) {
    if (e instanceof Exit) return e.code;
    return reportError(ctx, e, json);
  }
  return code;
}
