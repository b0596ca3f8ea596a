/** `uimg loader <kind>`: loader configuration computed from the images themselves (and a board layout). */
import type { Argv } from 'yargs';
import { UimgError } from '../../errors.js';
import { ENV_SIZE_LIMIT, encodeEnvImage, envTextToData } from '../../formats/uboot-env/env.js';
import { parseByteCount } from '../../layout/numbers.js';
import { type Context, EXIT, type Handler, displayPath, openSink, openSource, printJson } from './common.js';

/** A whole (bounded) input file: env texts, layouts. */
export async function readWhole(ctx: Context, path: string, limit: number, what: string): Promise<Uint8Array> {
  const src = await openSource(ctx, path);
  try {
    if (src.size > limit) {
      throw new UimgError('SIZE_LIMIT', `${displayPath(path)}: ${src.size} bytes is too large for ${what}`,
        { file: displayPath(path), expected: `<= ${limit}`, actual: src.size });
    }
    return (await src.read(0, src.size)).slice();
  } finally {
    await src.close();
  }
}

export async function writeWhole(ctx: Context, path: string, bytes: Uint8Array): Promise<void> {
  const sink = await openSink(ctx, path);
  try {
    await sink.write(bytes);
    await sink.commit();
  } finally {
    await sink.abort();
  }
}

/** A byte count or address from the command line: decimal, 0x hex, or with a K/M/G suffix. */
export function parseBytesFlag(value: string | number, flag: string): number {
  const n = parseByteCount(value);
  if (n === undefined) {
    throw new UimgError('BAD_VALUE', `--${flag}: '${value}' is not a byte count or address`,
      { field: flag, expected: 'decimal, 0x hex, or with a K/M/G suffix (8192, 0x2000, 8K)', actual: String(value) },
      'hexadecimal needs its 0x here');
  }
  return n;
}

interface UbootEnvArgs {
  from: string;
  envSize: string;
  redundant: boolean;
  bigEndian: boolean;
  padByte: string;
  output: string;
  json: boolean;
}

function ubootEnvBuilder(y: Argv): Argv<UbootEnvArgs> {
  return y
    .option('from', { type: 'string', demandOption: true, describe: 'environment text, name=value lines as mkenvimage reads them (- for stdin)' })
    .option('env-size', { alias: 's', type: 'string', demandOption: true, describe: 'environment size with its header: CONFIG_ENV_SIZE' })
    .option('redundant', { alias: 'r', type: 'boolean', default: false, describe: 'two copies in flash: a flags byte follows the CRC' })
    .option('big-endian', { alias: 'b', type: 'boolean', default: false, describe: 'store the CRC big-endian' })
    .option('pad-byte', { alias: 'p', type: 'string', default: '0xff', describe: 'fill byte after the variables' })
    .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'binary environment to write (- for stdout)' })
    .option('json', { type: 'boolean', default: false }) as unknown as Argv<UbootEnvArgs>;
}

/** The binary environment, byte for byte what mkenvimage writes for the same text, size and flags. */
async function ubootEnvCommand(ctx: Context, a: UbootEnvArgs): Promise<number> {
  const size = parseBytesFlag(a.envSize, 'env-size');
  const padByte = parseBytesFlag(a.padByte, 'pad-byte');
  const text = await readWhole(ctx, a.from, ENV_SIZE_LIMIT, 'an environment text');
  let image: Uint8Array;
  const data = envTextToData(text);
  try {
    image = encodeEnvImage(data, { size, redundant: a.redundant, bigEndian: a.bigEndian, padByte });
  } catch (e) {
    throw e instanceof UimgError && e.code === 'SIZE_LIMIT' ? e.withFile(displayPath(a.from)) : e;
  }
  await writeWhole(ctx, a.output, image);
  if (a.json) {
    printJson(ctx, { ok: true, file: displayPath(a.output), size, redundant: a.redundant, bigEndian: a.bigEndian, used: data.length });
  }
  return EXIT.OK;
}

export function loaderCommands(y: Argv, handle: Handler): Argv {
  return y
    .command('uboot-env', 'U-Boot binary environment from name=value text (as mkenvimage)', ubootEnvBuilder, handle(ubootEnvCommand))
    .demandCommand(1, 'name a loader: uboot-env');
}
