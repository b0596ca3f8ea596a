/** `uimg loader <kind>`: loader configuration computed from the images themselves (and a board layout). */
import type { Argv } from 'yargs';
import { UimgError } from '../../errors.js';
import { ENV_SIZE_LIMIT, encodeEnvImage, envTextToData } from '../../formats/uboot-env/env.js';
import type { BootPlan } from '../../layout/boot.js';
import { describeKernel, type DtbImage, type KernelImage } from '../../layout/kernel.js';
import { partitionByName, type BoardLayout, type FlashKind, type RamSpec } from '../../layout/model.js';
import { hex } from '../../numbers.js';
import { AT91_MEDIA, NAND_DEFAULT_PAGE, at91bootstrapConfig, type At91Media } from '../../loader/at91bootstrap.js';
import { cHeader } from '../../loader/c-header.js';
import { splFalconConfig } from '../../loader/spl-falcon.js';
import { ubootEnvText } from '../../loader/uboot-env-text.js';
import { layoutImagePath } from '../../node/layout.js';
import { QUIET_OPTION, type Context, EXIT, type Handler, STDIO_PATH, displayPath, ioError, openSource, parseNumberFlag, printJson, readWhole, summary, writeWhole } from './common.js';
import { dtbLength } from './dtb-input.js';
import { flagOrLayout, layoutImages, loadLayout } from './layout-input.js';
import { kitBuilder, kitCommand } from './kexec.js';

interface UbootEnvArgs {
  from?: string;
  layout?: string;
  envSize?: string;
  redundant: boolean;
  bigEndian: boolean;
  padByte: string;
  output: string;
  json: boolean;
  quiet: boolean;
}

function ubootEnvBuilder(y: Argv): Argv<UbootEnvArgs> {
  return y
    .option('from', { type: 'string', describe: 'environment text, name=value lines as mkenvimage reads them (- for stdin)' })
    .option('layout', { alias: 'l', type: 'string', describe: 'make the text from a board layout (bootcmd, bootargs, mtdparts, load addresses)' })
    .option('env-size', { alias: 's', type: 'string', describe: 'write the binary environment of this size, header included (CONFIG_ENV_SIZE)' })
    .option('redundant', { alias: 'r', type: 'boolean', default: false, describe: 'two copies in flash: a flags byte follows the CRC' })
    .option('big-endian', { alias: 'b', type: 'boolean', default: false, describe: 'store the CRC big-endian' })
    .option('pad-byte', { alias: 'p', type: 'string', default: '0xff', describe: 'fill byte after the variables' })
    .option('output', { alias: 'o', type: 'string', default: '-', describe: 'file to write (- for stdout)' })
    .option('json', { type: 'boolean', default: false })
    .option('quiet', QUIET_OPTION)
    .conflicts('from', 'layout') as unknown as Argv<UbootEnvArgs>;
}

/**
 * The binary environment, byte for byte what mkenvimage writes for the same text, size and flags; or, from a
 * layout, the text itself (binary too with --env-size).
 */
async function ubootEnvCommand(ctx: Context, a: UbootEnvArgs): Promise<number> {
  const size = a.envSize === undefined ? undefined : parseNumberFlag(a.envSize, 'env-size', { positive: true });
  const padByte = parseNumberFlag(a.padByte, 'pad-byte', { max: 0xff });
  let text: Uint8Array;
  if (a.layout !== undefined) {
    const layout = await loadLayout(ctx, a.layout);
    text = new TextEncoder().encode(ubootEnvText(layout, await layoutImages(ctx, layout)));
  } else if (a.from !== undefined) {
    // mkenvimage writes an empty environment for an empty text: a CRC over the NULs, the rest padding.
    text = await readWhole(ctx, a.from, ENV_SIZE_LIMIT, 'an environment text', { allowEmpty: true });
  } else {
    throw new UimgError('USAGE', 'give --from ENV.txt (with --env-size) or --layout FILE', { field: 'from' });
  }
  const out = a.output === '-' ? STDIO_PATH : a.output;
  if (size === undefined) {
    if (a.from !== undefined) throw new UimgError('USAGE', '--env-size is missing', { field: 'env-size' }, 'the size is CONFIG_ENV_SIZE, e.g. 0x2000');
    // With --json and stdout, the JSON carries the text.
    if (!(a.json && out === STDIO_PATH)) await writeWhole(ctx, out, text);
    if (a.json) printJson(ctx, { ok: true, file: displayPath(out), text: new TextDecoder().decode(text) });
    summary(ctx, a, [out], `${out}: ${text.length} bytes of environment text`);
    return EXIT.OK;
  }
  const data = envTextToData(text);
  let image: Uint8Array;
  try {
    image = encodeEnvImage(data, { size, redundant: a.redundant, bigEndian: a.bigEndian, padByte });
  } catch (e) {
    throw e instanceof UimgError && e.code === 'SIZE_LIMIT' ? e.withFile(displayPath(a.from ?? a.layout!)) : e;
  }
  await writeWhole(ctx, out, image);
  if (a.json) {
    printJson(ctx, { ok: true, file: displayPath(out), size, redundant: a.redundant, bigEndian: a.bigEndian, used: data.length });
  }
  summary(ctx, a, [out], `${out}: ${size} bytes of ${a.redundant ? 'redundant ' : ''}environment, ${data.length} used`);
  return EXIT.OK;
}

/** Flags every image-driven emitter shares; each may instead come from a board layout. */
interface BootArgs {
  layout?: string;
  kernel?: string;
  dtb?: string;
  ramBase?: string;
  ramSize?: string;
  cmdline?: string;
  output: string;
  json: boolean;
  quiet: boolean;
}

function bootBuilder<T>(y: Argv): Argv<T> {
  return y
    .option('layout', { alias: 'l', type: 'string', describe: 'board layout (JSON/YAML): supplies what the flags below leave out' })
    .option('kernel', { alias: 'k', type: 'string', describe: 'kernel file (uImage, zImage, ...); default: the layout\'s' })
    .option('dtb', { type: 'string', describe: 'DTB file; default: the layout\'s' })
    .option('ram-base', { type: 'string', describe: 'RAM start (checks every range against RAM)' })
    .option('ram-size', { type: 'string', describe: 'RAM size' })
    .option('cmdline', { type: 'string', describe: 'kernel command line; default: the layout\'s' })
    .option('output', { alias: 'o', type: 'string', default: '-', describe: 'file to write (- for stdout)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the result and the RAM plan as JSON' })
    .option('quiet', QUIET_OPTION) as unknown as Argv<T>;
}

interface ResolvedBoot {
  layout?: BoardLayout;
  kernel: KernelImage;
  /** The kernel file as named on the command line or in the layout, for messages. */
  kernelFile: string;
  dtb?: DtbImage;
  ram?: RamSpec;
  cmdline?: string;
  /** Flash offsets and RAM addresses the layout gives the kernel and DTB. */
  kernelOffset?: number;
  kernelAddress?: number;
  dtbOffset?: number;
  dtbAddress?: number;
}

async function describeFile<T>(ctx: Context, path: string, describe: (src: Awaited<ReturnType<typeof openSource>>) => Promise<T>): Promise<T> {
  const src = await openSource(ctx, path);
  try {
    return await describe(src);
  } catch (e) {
    throw ioError(e, displayPath(path), 'read');
  } finally {
    await src.close();
  }
}

/** Kernel, DTB, RAM and command line from the flags, falling back on the layout. */
async function resolveBoot(ctx: Context, a: BootArgs): Promise<ResolvedBoot> {
  const layout = a.layout === undefined ? undefined : await loadLayout(ctx, a.layout);
  const fromLayout = layout && (a.kernel === undefined || a.dtb === undefined) ? await layoutImages(ctx, layout) : undefined;
  const kernel = a.kernel !== undefined ? await describeFile(ctx, a.kernel, describeKernel) : fromLayout?.kernel?.kernel;
  if (!kernel) throw new UimgError('USAGE', 'no kernel: give --kernel FILE (or a --layout whose kernel names a file)', { field: 'kernel' });
  const kernelFile = displayPath(a.kernel ?? layoutImagePath(layout!, 'kernel')!);
  if (kernel.kind === 'unknown') {
    const what = kernel.dataCompression ? `${kernel.dataCompression}-compressed data` : 'no uImage, ARM zImage, arm64 Image or bzImage header';
    throw new UimgError('BAD_MAGIC', `${kernelFile}: not a kernel: ${what}`,
      { file: kernelFile, field: 'kernel', expected: 'a uImage, zImage, Image or bzImage', ...(kernel.dataCompression ? { actual: kernel.dataCompression } : {}) },
      'uimg inspect tells what the file is');
  }
  const dtb = a.dtb !== undefined
    ? await describeFile(ctx, a.dtb, async (src): Promise<DtbImage> => ({ fileSize: src.size, totalSize: await dtbLength(src, displayPath(a.dtb!)) }))
    : fromLayout?.dtb?.dtb;
  const ram = a.ramBase !== undefined || a.ramSize !== undefined
    ? { base: parseNumberFlag(requireFlag(a.ramBase, 'ram-base'), 'ram-base'), size: parseNumberFlag(requireFlag(a.ramSize, 'ram-size'), 'ram-size', { positive: true }) }
    : layout?.ram;
  const place = (role: 'kernel' | 'dtb') => {
    const p = layout?.images[role];
    return { offset: p ? partitionByName(layout!, p.partition)?.offset : undefined, address: p?.ramAddress };
  };
  const k = place('kernel'), d = place('dtb');
  const cmdline = a.cmdline ?? layout?.cmdline;
  return {
    ...(layout ? { layout } : {}), kernel, kernelFile, ...(dtb ? { dtb } : {}), ...(ram ? { ram } : {}), ...(cmdline !== undefined ? { cmdline } : {}),
    ...(k.offset !== undefined ? { kernelOffset: k.offset } : {}), ...(k.address !== undefined ? { kernelAddress: k.address } : {}),
    ...(d.offset !== undefined ? { dtbOffset: d.offset } : {}), ...(d.address !== undefined ? { dtbAddress: d.address } : {}),
  };
}

/** Emitter errors about the kernel itself name its file. */
function namingKernel<T>(kernelFile: string, emit: () => T): T {
  try {
    return emit();
  } catch (e) {
    throw e instanceof UimgError && ['kernel', 'ih_comp', 'ih_ep'].includes(String(e.data.field)) ? e.withFile(kernelFile) : e;
  }
}

function requireFlag(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UimgError('USAGE', `--${flag} is missing`, { field: flag }, 'give --ram-base and --ram-size together');
  return value;
}

function planJson(plan: BootPlan) {
  return {
    entry: plan.entry, entryHex: hex(plan.entry),
    regions: plan.regions.map((r) => ({ ...r, startHex: hex(r.start), endHex: hex(r.start + r.size) })),
    findings: plan.findings,
  };
}

/** Write the text (stdout by default); with --json, stdout carries the JSON (the text inside it). */
async function emit(ctx: Context, a: { output: string; json: boolean; quiet: boolean }, text: string, plan: BootPlan): Promise<number> {
  const toStdout = a.output === '-' || a.output === STDIO_PATH;
  const bytes = new TextEncoder().encode(text);
  if (!toStdout || !a.json) await writeWhole(ctx, toStdout ? STDIO_PATH : a.output, bytes);
  if (a.json) printJson(ctx, { ok: true, text, plan: planJson(plan) });
  summary(ctx, a, [a.output], `${a.output}: ${bytes.length} bytes, ${text.split('\n').filter((l) => l !== '').length} lines`);
  for (const f of plan.findings) if (!a.json && !a.quiet) ctx.io.stderr(`uimg: ${f.severity}: ${f.message}${f.hint ? ` (hint: ${f.hint})` : ''}\n`);
  return EXIT.OK;
}

const AT91_MEDIA_OF: Partial<Record<FlashKind, At91Media>> = { nand: 'nand', nor: 'nor', spi: 'dataflash', qspi: 'qspi', sd: 'sd', mmc: 'sd' };

interface At91Args extends BootArgs {
  media?: At91Media;
  imgAddress?: string;
  jumpAddr?: string;
  ofOffset?: string;
  ofAddress?: string;
  v3: boolean;
  imageName?: string;
  pageSize?: string;
}

function at91Builder(y: Argv): Argv<At91Args> {
  return bootBuilder<At91Args>(y)
    .option('media', { choices: AT91_MEDIA, describe: 'where AT91Bootstrap reads from (default: the layout\'s flash kind)' })
    .option('img-address', { type: 'string', describe: 'IMG_ADDRESS: flash offset of the kernel (default: its partition)' })
    .option('jump-addr', { type: 'string', describe: 'JUMP_ADDR: RAM address the kernel is read to (default: its ramAddress)' })
    .option('of-offset', { type: 'string', describe: 'OF_OFFSET: flash offset of the DTB (default: its partition)' })
    .option('of-address', { type: 'string', describe: 'OF_ADDRESS: RAM address of the DTB (default: its ramAddress)' })
    .option('v3', { type: 'boolean', default: false, describe: 'AT91Bootstrap 3.x names (LINUX_UIMAGE/ZIMAGE, MEM_BANK, MEM_SIZE)' })
    .option('image-name', { type: 'string', describe: 'SD card: the kernel\'s file name' })
    .option('page-size', { type: 'string', describe: `NAND page size: IMG_ADDRESS and OF_OFFSET must be multiples of it (default: the layout's, else ${NAND_DEFAULT_PAGE})` }) as unknown as Argv<At91Args>;
}

async function at91Command(ctx: Context, a: At91Args): Promise<number> {
  const b = await resolveBoot(ctx, a);
  const media = a.media ?? (b.layout ? AT91_MEDIA_OF[b.layout.flash.kind] : undefined);
  if (!media) throw new UimgError('USAGE', '--media is missing', { field: 'media' }, `one of ${AT91_MEDIA.join(', ')}`);
  const dtb = b.dtb && {
    image: b.dtb,
    offset: media === 'sd' ? 0 : flagOrLayout(a.ofOffset, 'of-offset', b.dtbOffset, 'a dtb partition'),
    address: flagOrLayout(a.ofAddress, 'of-address', b.dtbAddress, 'a dtb ramAddress'),
  };
  const pageSize = nandPageSize(a.pageSize, b.layout);
  const { text, plan } = namingKernel(b.kernelFile, () => at91bootstrapConfig({
    kernel: b.kernel, media, ...(pageSize ? { pageSize: pageSize.size } : {}),
    imgAddress: media === 'sd' ? 0 : flagOrLayout(a.imgAddress, 'img-address', b.kernelOffset, 'a kernel partition'),
    jumpAddr: flagOrLayout(a.jumpAddr, 'jump-addr', b.kernelAddress, 'a kernel ramAddress'),
    ...(dtb ? { dtb } : {}), ...(b.cmdline !== undefined ? { cmdline: b.cmdline } : {}), ...(b.ram ? { ram: b.ram } : {}),
    v3: a.v3, ...(a.imageName !== undefined ? { imageName: a.imageName } : {}),
  }));
  return emit(ctx, a, text, plan);
}

/** The NAND page size a flag or a NAND layout gives; undefined when neither does. */
function nandPageSize(flag: string | undefined, layout: BoardLayout | undefined): { size: number; defaulted: false } | undefined {
  if (flag !== undefined) return { size: parseNumberFlag(flag, 'page-size', { positive: true }), defaulted: false };
  return layout?.flash.kind === 'nand' ? { size: layout.flash.pageSize, defaulted: false } : undefined;
}

interface CHeaderArgs extends BootArgs {
  imgAddress?: string;
  pageSize?: string;
  stagingAddr?: string;
  dtbOffset?: string;
  dtbAddress?: string;
  prefix: string;
}

function cHeaderBuilder(y: Argv): Argv<CHeaderArgs> {
  return bootBuilder<CHeaderArgs>(y)
    .option('img-address', { type: 'string', describe: 'flash offset of the uImage header (default: the kernel partition)' })
    .option('staging-addr', { type: 'string', describe: 'RAM address the whole uImage is read to first (default: none, data straight to ih_load)' })
    .option('dtb-offset', { type: 'string', describe: 'flash offset of the DTB (default: its partition)' })
    .option('dtb-address', { type: 'string', describe: 'RAM address of the DTB (default: its ramAddress)' })
    .option('prefix', { type: 'string', default: '', describe: 'prefix for every macro name' })
    .option('page-size', { type: 'string', describe: 'the kernel is read from NAND with this page size: IMG_ADDRESS and DTB_OFFSET must be multiples of it (default: a NAND layout\'s)' }) as unknown as Argv<CHeaderArgs>;
}

async function cHeaderCommand(ctx: Context, a: CHeaderArgs): Promise<number> {
  const b = await resolveBoot(ctx, a);
  const dtb = b.dtb && {
    image: b.dtb,
    offset: flagOrLayout(a.dtbOffset, 'dtb-offset', b.dtbOffset, 'a dtb partition'),
    address: flagOrLayout(a.dtbAddress, 'dtb-address', b.dtbAddress, 'a dtb ramAddress'),
  };
  const staging = a.stagingAddr !== undefined ? parseNumberFlag(a.stagingAddr, 'staging-addr') : undefined;
  const pageSize = nandPageSize(a.pageSize, b.layout);
  const { text, plan } = namingKernel(b.kernelFile, () => cHeader({
    kernel: b.kernel, ...(pageSize ? { nandPageSize: pageSize } : {}), imgAddress: flagOrLayout(a.imgAddress, 'img-address', b.kernelOffset, 'a kernel partition'),
    ...(staging !== undefined ? { stagingAddress: staging } : {}), ...(dtb ? { dtb } : {}), ...(b.ram ? { ram: b.ram } : {}), prefix: a.prefix,
  }));
  return emit(ctx, a, text, plan);
}

interface SplFalconArgs { layout: string; output: string; json: boolean; quiet: boolean }

function splFalconBuilder(y: Argv): Argv<SplFalconArgs> {
  return y
    .option('layout', { alias: 'l', type: 'string', demandOption: true, describe: 'board layout: the kernel and dtb (args) partitions, the args RAM address' })
    .option('output', { alias: 'o', type: 'string', default: '-', describe: 'file to write (- for stdout)' })
    .option('json', { type: 'boolean', default: false })
    .option('quiet', QUIET_OPTION) as unknown as Argv<SplFalconArgs>;
}

async function splFalconCommand(ctx: Context, a: SplFalconArgs): Promise<number> {
  const layout = await loadLayout(ctx, a.layout);
  const { text, plan } = splFalconConfig(layout, await layoutImages(ctx, layout));
  return emit(ctx, a, text, plan);
}

export function loaderCommands(y: Argv, handle: Handler): Argv {
  return y
    .command('uboot-env', 'U-Boot binary environment from name=value text (as mkenvimage)', ubootEnvBuilder, handle(ubootEnvCommand))
    .command('at91bootstrap', 'AT91Bootstrap defconfig fragment that boots the kernel', at91Builder, handle(at91Command))
    .command('c-header', 'C header (with static asserts) for a first-stage loader that reads the uImage header', cHeaderBuilder, handle(cHeaderCommand))
    .command('spl-falcon', 'U-Boot SPL falcon-mode settings for a layout', splFalconBuilder, handle(splFalconCommand))
    .command('kexec', 'a kexec bootloader kit (the same as uimg kexec kit)', kitBuilder, handle(kitCommand))
    .demandCommand(1, 'name a loader: uboot-env, at91bootstrap, c-header, spl-falcon, kexec');
}
