/**
 * uimg romimage: ROM images that run from a CPU's reset vector. `sh` wraps an SH zImage as Linux's romImage does
 * (board script, boot-parameter page); `arm` / `arm64` put a copy-and-enter stub before a zImage / Image (and a DTB);
 * `script` checks a board script and converts it (round trip, romimage.h, standalone gas).
 */
import type { Argv } from 'yargs';
import type { Endian } from '../../asm/assembler.js';
import { UimgError, hex32 } from '../../errors.js';
import {
  planArmRom, writeArmRom, readKernelFacts, DEFAULT_DTB_RESERVE, DEFAULT_MACHINE_ID, type ArmRomArch, type KernelFacts,
} from '../../formats/romimage/arm-rom.js';
import { formatRomLayout, type RomLayout } from '../../formats/romimage/layout.js';
import { formatScript, parseScript, scriptCommands, type Script } from '../../formats/romimage/script.js';
import { formatRomimageHeader, formatSetupAsm } from '../../formats/romimage/script-asm.js';
import {
  DEFAULT_PAGE_OFFSET, SH_BOARDS, SH_RESET_ADDRESS, kernelText, writeShRomImage, type ShBoard, type ShRomOptions,
} from '../../formats/romimage/sh-romimage.js';
import { DEFAULT_BOOT_PARAMS, decodeZeroPage, encodeZeroPage, isPageSize, PAGE_SIZES, type BootParams, type PageSize } from '../../formats/romimage/zero-page.js';
import { hex } from '../../numbers.js';
import { dtbLength } from './dtb-input.js';
import { QUIET_OPTION, type Context, type Handler, EXIT, badFlagValue, STDIO_PATH, displayPath, openSource, parseAddress, parseNumberFlag, printJson, readWhole, summary, withOutputs, writeWhole, type OpenedSource } from './common.js';

/** The range of the 32-bit fields most ROM options fill. */
const U32 = { max: 0xffffffff };

async function readScript(ctx: Context, path: string): Promise<Script> {
  const text = new TextDecoder().decode(await readWhole(ctx, path, 1 << 20, 'a board script'));
  let script: Script;
  try {
    script = parseScript(text);
  } catch (e) {
    throw e instanceof UimgError ? e.withFile(displayPath(path)) : e;
  }
  if (!script.lines.some((l) => l.command)) {
    throw new UimgError('EMPTY_INPUT', `${displayPath(path)}: the script has no commands`, { file: displayPath(path), expected: 'LIST, ED, EW, EB, WAIT or DD lines', actual: 0 },
      'leave out --script for a ROM without register writes');
  }
  return script;
}

/** Open inputs, run, and close them whatever happens. */
async function withSources<T>(ctx: Context, paths: (string | undefined)[], use: (srcs: (OpenedSource | undefined)[]) => Promise<T>): Promise<T> {
  const opened: (OpenedSource | undefined)[] = [];
  try {
    for (const p of paths) opened.push(p === undefined ? undefined : await openSource(ctx, p));
    return await use(opened);
  } finally {
    await Promise.all(opened.map((s) => s?.close()));
  }
}

function layoutJson(layout: RomLayout) {
  return {
    kind: layout.kind,
    size: layout.size,
    regions: layout.regions.map((r) => ({ ...r, addressHex: hex(r.address) })),
    entry: {
      ...layout.entry,
      addressHex: hex(layout.entry.address),
      registersHex: Object.fromEntries(Object.entries(layout.entry.registers).map(([r, v]) => [r, hex(v)])),
    },
  };
}

interface CommonArgs {
  output: string;
  json: boolean;
  quiet: boolean;
}

function report(ctx: Context, a: CommonArgs, layout: RomLayout, title: string, extra: object, findings: { message: string; hint?: string }[] = []): number {
  if (a.json) {
    printJson(ctx, { ok: true, file: displayPath(a.output), layout: layoutJson(layout), ...extra, findings });
  } else if (!a.quiet) {
    for (const f of findings) ctx.io.stderr(`uimg: warning: ${f.message}${f.hint ? ` (hint: ${f.hint})` : ''}\n`);
    if (a.output !== STDIO_PATH) ctx.io.stdout(`${title}\n${formatRomLayout(layout)}`);
  }
  return EXIT.OK;
}

// ---------------------------------------------------------------------------------------------------------- sh

export interface ShArgs extends CommonArgs {
  script?: string;
  zimage: string;
  rawPayload: boolean;
  board?: string;
  endian: Endian;
  memoryStart?: string;
  zeroPageOffset?: string;
  pageSize?: string;
  pageOffset: string;
  addressMode?: string;
  cacheTail?: boolean;
  zeroPage?: string;
  cmdline?: string;
  initrdStart?: string;
  initrdSize?: string;
  rootDevice?: string;
  rootReadonly?: string;
  loaderType?: string;
  ramdiskFlags?: string;
  romAddress: string;
}

const PAGE_FIELDS = ['cmdline', 'initrdStart', 'initrdSize', 'rootDevice', 'rootReadonly', 'loaderType', 'ramdiskFlags'] as const;
const flagOf = (k: string) => k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

function shBuilder(y: Argv): Argv<ShArgs> {
  return y
    .usage('$0 romimage sh --zimage FILE [--script FILE] [options] -o OUT\n\nAn SH romImage: board script, boot-parameter page, zImage.')
    .option('script', { type: 'string', describe: 'board register-write script (partner-jet-setup.txt format)' })
    .option('zimage', { type: 'string', demandOption: true, describe: 'the SH zImage (or a bare-metal payload with --raw-payload)' })
    .option('raw-payload', { type: 'boolean', default: false, describe: 'do not require an SH zImage' })
    .option('board', { type: 'string', choices: SH_BOARDS.map((b) => b.name), describe: 'defaults from a Linux board: ' + SH_BOARDS.map((b) => b.name).join(', ') })
    .option('endian', { choices: ['little', 'big'] as const, default: 'little' as const })
    .option('memory-start', { type: 'string', describe: 'MEMORY_START, physical RAM base (hex; default 0x08000000)' })
    .option('zero-page-offset', { type: 'string', describe: 'ZERO_PAGE_OFFSET (default by page size: 0x1000 for 4 KiB)' })
    .option('page-size', { type: 'string', describe: 'kernel page size: 4K, 8K, 16K or 64K (default 4K)' })
    .option('page-offset', { type: 'string', default: hex32(DEFAULT_PAGE_OFFSET), describe: 'PAGE_OFFSET (hex)' })
    .option('address-mode', { type: 'string', choices: ['29', '32'], describe: '29-bit or 32-bit (PMB) addressing (default 29)' })
    .option('cache-tail', { type: 'boolean', describe: 'SH-4A icbi and jump after the script (kfr2r09, ecovec24 do)' })
    .option('zero-page', { type: 'string', describe: 'take the boot-parameter page from this file (a kernel build\'s .empty_zero_page)' })
    .option('cmdline', { type: 'string', describe: 'kernel command line (at most 511 bytes)' })
    .option('initrd-start', { type: 'string', describe: 'INITRD_START: offset of the initrd from MEMORY_START, page aligned' })
    .option('initrd-size', { type: 'string', describe: 'INITRD_SIZE in bytes' })
    .option('root-device', { type: 'string', describe: 'ORIG_ROOT_DEV (default 0x0200)' })
    .option('root-readonly', { type: 'string', describe: 'MOUNT_ROOT_RDONLY (default 1)' })
    .option('loader-type', { type: 'string', describe: 'LOADER_TYPE (default 1; 0 makes the kernel ignore the initrd fields)' })
    .option('ramdisk-flags', { type: 'string', describe: 'RAMDISK_FLAGS (default 0)' })
    .option('rom-address', { type: 'string', default: hex32(SH_RESET_ADDRESS), describe: 'address the ROM runs at, for the map' })
    .option('output', { alias: 'o', type: 'string', demandOption: true })
    .option('json', { type: 'boolean', default: false })
    .option('quiet', QUIET_OPTION) as unknown as Argv<ShArgs>;
}

const PAGE_SIZE_SHIFT_DEFAULT_OFFSET: Record<PageSize, number> = { 4096: 0x1000, 8192: 0x2000, 16384: 0x4000, 65536: 0x10000 };

function pageSizeArg(value: string): PageSize {
  const n = parseNumberFlag(value, 'page-size', U32);
  if (!isPageSize(n)) {
    throw badFlagValue('page-size', value, 'an SH page size', '4K, 8K, 16K or 64K', 'Linux for SH builds with 4, 8, 16 or 64 KiB pages');
  }
  return n;
}

function bootParams(a: ShArgs): BootParams {
  const n = (v: string | undefined, flag: string, dflt: number) => (v === undefined ? dflt : parseNumberFlag(v, flag, U32));
  return {
    rootReadOnly: n(a.rootReadonly, 'root-readonly', DEFAULT_BOOT_PARAMS.rootReadOnly),
    ramdiskFlags: n(a.ramdiskFlags, 'ramdisk-flags', DEFAULT_BOOT_PARAMS.ramdiskFlags),
    rootDevice: a.rootDevice === undefined ? DEFAULT_BOOT_PARAMS.rootDevice : parseNumberFlag(a.rootDevice, 'root-device', { max: 0xffff }),
    loaderType: n(a.loaderType, 'loader-type', DEFAULT_BOOT_PARAMS.loaderType),
    initrdStart: n(a.initrdStart, 'initrd-start', DEFAULT_BOOT_PARAMS.initrdStart),
    initrdSize: n(a.initrdSize, 'initrd-size', DEFAULT_BOOT_PARAMS.initrdSize),
    addressMode: a.addressMode === '32' ? 32 : 29,
    commandLine: a.cmdline ?? '',
  };
}

async function shCommand(ctx: Context, a: ShArgs): Promise<number> {
  const board: ShBoard | undefined = SH_BOARDS.find((b) => b.name === a.board);
  const script = a.script === undefined ? undefined : await readScript(ctx, a.script);
  let pageSize = a.pageSize === undefined ? undefined : pageSizeArg(a.pageSize);
  let addressMode: 29 | 32 | undefined = a.addressMode === undefined ? undefined : a.addressMode === '32' ? 32 : 29;
  let zeroPage: Uint8Array;
  if (a.zeroPage !== undefined) {
    const given = PAGE_FIELDS.filter((k) => a[k] !== undefined);
    if (given.length) {
      throw new UimgError('USAGE', `--zero-page takes the whole page from a file; --${flagOf(given[0]!)} cannot change it`,
        { field: flagOf(given[0]!) }, 'leave out --zero-page to build the page from options');
    }
    const path = a.zeroPage;
    const file = displayPath(path);
    zeroPage = await readWhole(ctx, path, 65536, 'a zero page');
    if (!isPageSize(zeroPage.length) || (pageSize !== undefined && zeroPage.length !== pageSize)) {
      throw new UimgError('BAD_VALUE', `${file}: ${zeroPage.length} bytes is not ${pageSize === undefined ? 'a page (4, 8, 16 or 64 KiB)' : `one ${pageSize}-byte page`}`,
        { file, field: 'zero-page', expected: pageSize ?? PAGE_SIZES.join('|'), actual: zeroPage.length }, 'objcopy -O binary -j .empty_zero_page vmlinux gives the page');
    }
    pageSize = zeroPage.length;
    const marked = decodeZeroPage(zeroPage, a.endian).addressMode;
    if (marked !== undefined && addressMode !== undefined && marked !== addressMode) {
      throw new UimgError('BAD_VALUE', `${file} says ${marked}-bit addressing, --address-mode ${addressMode}`, { file, field: 'address-mode', expected: marked, actual: addressMode });
    }
    addressMode ??= marked;
  } else {
    pageSize ??= board?.pageSize ?? 4096;
    zeroPage = encodeZeroPage(bootParams(a), pageSize, a.endian);
  }
  pageSize ??= 4096;
  const memoryStart = a.memoryStart === undefined ? board?.memoryStart ?? 0x08000000 : parseAddress(a.memoryStart, 'memory-start');
  const options: ShRomOptions = {
    endian: a.endian,
    commands: script ? scriptCommands(script) : [],
    ...((a.cacheTail ?? board?.cacheTail) ? { icbiAddress: (0xa0000000 | memoryStart) >>> 0 } : {}),
    pageOffset: parseAddress(a.pageOffset, 'page-offset'),
    memoryStart,
    zeroPageOffset: a.zeroPageOffset === undefined
      ? (board && board.pageSize === pageSize ? board.zeroPageOffset : PAGE_SIZE_SHIFT_DEFAULT_OFFSET[pageSize])
      : parseNumberFlag(a.zeroPageOffset, 'zero-page-offset', U32),
    pageSize,
    addressMode: addressMode ?? 29,
    zeroPage,
    romAddress: parseAddress(a.romAddress, 'rom-address'),
  };
  if (options.zeroPageOffset % pageSize !== 0) {
    throw badFlagValue('zero-page-offset', a.zeroPageOffset!, 'a multiple of the page size', `a multiple of ${pageSize}`,
      'ZERO_PAGE_OFFSET is a whole number of pages');
  }
  const plan = await withSources(ctx, [a.zimage], async ([payload]) => {
    let result;
    await withOutputs(ctx, [{ path: a.output }], async ([sink]) => {
      try {
        result = await writeShRomImage(options, { source: payload!, raw: a.rawPayload }, sink!);
      } catch (e) {
        if (e instanceof UimgError && e.code === 'BAD_MAGIC') {
          throw new UimgError(e.code, `${displayPath(a.zimage)}: ${e.message}`, { ...e.data, file: displayPath(a.zimage) },
            `${e.hint}; a bare-metal payload needs --raw-payload`);
        }
        throw e;
      }
    });
    return result!;
  });
  const page = decodeZeroPage(zeroPage, a.endian);
  return report(ctx, a, plan.layout, `SH romImage, ${a.endian}-endian, ${plan.commandCount} script commands, ${pageSize / 1024} KiB pages, _text ${hex32(kernelText(options))}`, {
    sh: {
      endian: a.endian,
      board: board?.name ?? null,
      commands: plan.commandCount,
      pageSize,
      pageOffset: options.pageOffset,
      pageOffsetHex: hex(options.pageOffset),
      memoryStart,
      memoryStartHex: hex(memoryStart),
      zeroPageOffset: options.zeroPageOffset,
      kernelText: kernelText(options),
      kernelTextHex: hex(kernelText(options)),
      addressMode: options.addressMode,
      cacheTail: options.icbiAddress !== undefined,
      bootParams: page,
      payload: plan.zimage ? { type: 'sh-zimage', ...plan.zimage } : { type: 'raw' },
    },
  });
}

// -------------------------------------------------------------------------------------------------- arm, arm64

export interface ArmArgs extends CommonArgs {
  zimage: string;
  ramBase: string;
  kernelAddress?: string;
  dtb?: string;
  dtbAddress?: string;
  dtbSize?: string;
  machineId?: string;
  romAddress: string;
}

function armBuilder(arch: ArmRomArch) {
  return (y: Argv): Argv<ArmArgs> => y
    .usage(`$0 romimage ${arch} --zimage FILE --ram-base ADDR [--dtb FILE] [--dtb-address ADDR] [options] -o OUT\n\n` +
      (arch === 'arm' ? 'An ARM ROM image: stub + zImage (+ DTB); r0=0, r1=machine id, r2=DTB.' : 'An AArch64 ROM image: stub + Image (+ DTB); x0=DTB, x1-x3=0.'))
    .option('zimage', { alias: arch === 'arm' ? ['kernel'] : ['image', 'kernel'], type: 'string', demandOption: true, describe: arch === 'arm' ? 'the ARM zImage' : 'the arm64 Image (uncompressed)' })
    .option('ram-base', { type: 'string', demandOption: true, describe: 'physical start of RAM (hex)' })
    .option('kernel-address', { type: 'string', describe: arch === 'arm' ? 'copy the zImage here (default RAM + 32 MiB, clear of the DTB)' : 'copy the Image here: a 2 MiB-aligned base + text_offset (default: the first clear of the DTB)' })
    .option('dtb', { type: 'string', describe: 'embed this DTB; the stub copies it to --dtb-address (default: after the kernel)' })
    .option('dtb-address', { type: 'string', describe: 'the DTB address passed to the kernel (hex; without --dtb: one the firmware leaves there)' })
    .option('dtb-size', { type: 'string', describe: `RAM kept clear at --dtb-address for a firmware DTB (default ${DEFAULT_DTB_RESERVE / 1024} KiB, QEMU virt's)` })
    .option('rom-address', { type: 'string', default: '0', describe: 'address the ROM runs at, for the map' })
    .option('output', { alias: 'o', type: 'string', demandOption: true })
    .option('json', { type: 'boolean', default: false })
    .option('quiet', QUIET_OPTION)
    .option('machine-id', { type: 'string', hidden: arch === 'arm64', describe: `ARM machine type in r1 (default ${hex32(DEFAULT_MACHINE_ID)}: DT boots ignore it)` }) as unknown as Argv<ArmArgs>;
}

function armCommand(arch: ArmRomArch) {
  return async (ctx: Context, a: ArmArgs): Promise<number> => {
    const address = (v: string, flag: string) => parseAddress(v, flag, arch === 'arm' ? 32 : 48);
    return withSources(ctx, [a.zimage, a.dtb], async ([kernel, dtb]) => {
      const file = displayPath(a.zimage);
      let facts: KernelFacts;
      try {
        facts = await readKernelFacts(arch, kernel!);
      } catch (e) {
        throw e instanceof UimgError ? e.withFile(file) : e;
      }
      const dtbSize = dtb ? await dtbLength(dtb, displayPath(a.dtb!)) : undefined;
      const plan = planArmRom({
        arch,
        ramBase: address(a.ramBase, 'ram-base'),
        ...(a.kernelAddress !== undefined ? { kernelAddress: address(a.kernelAddress, 'kernel-address') } : {}),
        ...(a.dtbAddress !== undefined ? { dtbAddress: address(a.dtbAddress, 'dtb-address') } : {}),
        dtbReserve: a.dtbSize === undefined ? DEFAULT_DTB_RESERVE : parseNumberFlag(a.dtbSize, 'dtb-size', U32),
        machineId: a.machineId === undefined ? DEFAULT_MACHINE_ID : parseNumberFlag(a.machineId, 'machine-id', U32),
        romAddress: address(a.romAddress, 'rom-address'),
      }, facts, dtbSize);
      await withOutputs(ctx, [{ path: a.output }], ([sink]) => writeArmRom(plan, kernel!, dtb, sink!));
      const title = arch === 'arm' ? 'ARM ROM image: stub + zImage' : 'AArch64 ROM image: stub + Image';
      return report(ctx, a, plan.layout, title + (dtbSize !== undefined ? ' + DTB' : ''), {
        [arch]: { copies: plan.copies.map((c) => ({ ...c, addressHex: hex(c.address) })), ...(arch === 'arm64' ? { textOffset: facts.textOffset, imageSize: facts.imageSize } : {}) },
      }, plan.findings);
    });
  };
}

// ------------------------------------------------------------------------------------------------------ script

export interface ScriptArgs {
  file: string;
  emit: 'script' | 'romimage.h' | 'asm';
  board?: string;
  cacheTail?: boolean;
  memoryStart?: string;
  output: string;
  json: boolean;
}

function scriptBuilder(y: Argv): Argv<ScriptArgs> {
  return y
    .usage('$0 romimage script FILE [--emit script|romimage.h|asm] [-o OUT]\n\nCheck a board script (errors name the line) and print it back, or as assembler.')
    .positional('file', { type: 'string', demandOption: true, describe: 'the script (- for stdin)' })
    .option('emit', { choices: ['script', 'romimage.h', 'asm'] as const, default: 'script' as const,
      describe: 'script: the same script; romimage.h: a Linux mach/romimage.h; asm: standalone gas source' })
    .option('board', { type: 'string', choices: SH_BOARDS.map((b) => b.name), describe: 'add the board\'s tail (kfr2r09, ecovec24: icbi + jump)' })
    .option('cache-tail', { type: 'boolean', describe: 'add the SH-4A icbi tail' })
    .option('memory-start', { type: 'string', describe: 'RAM base for the icbi address (hex; default the board\'s or 0x08000000)' })
    .option('output', { alias: 'o', type: 'string', default: STDIO_PATH, describe: 'where to write (default stdout)' })
    .option('json', { type: 'boolean', default: false, describe: 'the parsed commands as data' }) as unknown as Argv<ScriptArgs>;
}

async function scriptCommand(ctx: Context, a: ScriptArgs): Promise<number> {
  const script = await readScript(ctx, a.file);
  const board = SH_BOARDS.find((b) => b.name === a.board);
  if (a.json) {
    printJson(ctx, { ok: true, file: displayPath(a.file), commands: script.lines.filter((l) => l.command).map((l) => ({ line: l.line, ...l.command })) });
    return EXIT.OK;
  }
  const memoryStart = a.memoryStart === undefined ? board?.memoryStart ?? 0x08000000 : parseAddress(a.memoryStart, 'memory-start');
  const tail = (a.cacheTail ?? board?.cacheTail) ? { icbiAddress: (0xa0000000 | memoryStart) >>> 0 } : {};
  const source = displayPath(a.file).split('/').pop()!;
  const text = a.emit === 'script' ? formatScript(script) : a.emit === 'romimage.h' ? formatRomimageHeader(script, tail, source) : formatSetupAsm(script, tail, source);
  const bytes = new TextEncoder().encode(text);
  await writeWhole(ctx, a.output, bytes);
  summary(ctx, {}, [a.output], `${displayPath(a.output)}: ${bytes.length} bytes (${a.emit})`);
  return EXIT.OK;
}

// ---------------------------------------------------------------------------------------------------- commands

export function romimageCommands(y: Argv, handle: Handler): Argv {
  return y
    .command('sh', 'SH romImage: board script + boot-parameter page + zImage, runs from the reset vector', shBuilder, handle(shCommand))
    .command('arm', 'ARM ROM image: stub + zImage (+ DTB), no boot loader needed', armBuilder('arm'), handle(armCommand('arm')))
    .command('arm64', 'AArch64 ROM image: stub + Image (+ DTB), no boot loader needed', armBuilder('arm64'), handle(armCommand('arm64')))
    .command('script <file>', 'check a board script; print it back, as romimage.h or as gas source', scriptBuilder, handle(scriptCommand))
    .demandCommand(1, 'name a target: sh, arm, arm64 or script');
}
