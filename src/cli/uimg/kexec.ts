/** uimg kexec: the kexec bootloader kit (kit) and what kexec_load would receive for a kernel (plan). */
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { UimgError, isUimgError } from '../../errors.js';
import { formatCpioList } from '../../formats/cpio/list.js';
import { CMDLINE_MODES, INITRAMFS_COMPRESSIONS, SIZE_PROFILES, kernelConfigFragment, type KernelConfigOptions } from '../../kexec/kconfig.js';
import { KEXEC_ARCHES, kexecCpioSpecs, kexecInit, kexecbootConfig, petitbootConfig, type KexecKit } from '../../kexec/kit.js';
import { planKexec, type KexecPlan } from '../../kexec/plan.js';
import { layoutImagePath } from '../../node/layout.js';
import { hex } from '../../numbers.js';
import {
  QUIET_OPTION, type Context, EXIT, type Handler, badFlagValue, displayPath, ioError, noteInput, openOutputDir, openSource, parseNumberFlag, printJson, withOutputs,
} from './common.js';
import { readDtb } from './dtb-input.js';
import { flagOrLayout, loadLayout } from './layout-input.js';

export function kexecCommands(y: Argv, handle: Handler): Argv {
  return y
    .command('kit', 'write a kexec bootloader kit: /init, its gen_init_cpio list, a kernel config fragment, boot menus', kitBuilder, handle(kitCommand))
    .command('plan [kernel]', 'the segments and entry kexec_load would get for a kernel, DTB and initrd on given RAM (or a --layout\'s)', planBuilder, handle(planCommand))
    .demandCommand(1, 'name a kexec command: kit or plan');
}

interface KitArgs {
  arch: KexecKit['arch'];
  kernel: string;
  dtb?: string;
  initrd?: string;
  append: string;
  label: string;
  media: string[];
  wait: string;
  timeout: string;
  profile: KernelConfigOptions['profile'];
  linux: string;
  cmdline: string;
  cmdlineMode: KernelConfigOptions['cmdlineMode'];
  initramfsCompression: KernelConfigOptions['initramfsCompression'];
  initramfsSource: string;
  busybox: string;
  kexecBin: string;
  lib: string[];
  output: string;
  json: boolean;
  quiet: boolean;
}

export function kitBuilder(y: Argv): Argv<KitArgs> {
  return y
    .option('arch', { choices: KEXEC_ARCHES, demandOption: true })
    .option('kernel', { type: 'string', demandOption: true, describe: 'the next kernel, as a path on the boot media (e.g. /boot/zImage)' })
    .option('dtb', { type: 'string', describe: 'its device tree on the media' })
    .option('initrd', { type: 'string', describe: 'its initrd on the media' })
    .option('append', { type: 'string', default: '', describe: 'its whole command line' })
    .option('label', { type: 'string', default: 'linux', describe: 'menu label' })
    .option('media', { type: 'string', array: true, demandOption: true, describe: 'where to look, in order: /dev/... or LABEL=/UUID=/PARTUUID=' })
    .option('wait', { type: 'string', default: '10', describe: 'seconds to wait for the media (1 to 3600)' })
    .option('timeout', { type: 'string', default: '5', describe: 'boot menu timeout in seconds (boot.cfg, kboot.conf)' })
    .option('profile', { choices: SIZE_PROFILES, default: 'M' as const, describe: 'kernel size profile' })
    .option('linux', { type: 'string', default: '6.1', describe: 'the bootloader kernel\'s version (6.x)' })
    .option('cmdline', { type: 'string', default: '', describe: 'the bootloader kernel\'s built-in command line' })
    .option('cmdline-mode', { choices: CMDLINE_MODES, default: 'bootloader' as const, describe: 'built-in line vs the loader\'s' })
    .option('initramfs-compression', { choices: INITRAMFS_COMPRESSIONS, default: 'gzip' as const })
    .option('initramfs-source', { type: 'string', default: 'initramfs.list', describe: 'CONFIG_INITRAMFS_SOURCE (absolute for a kernel build)' })
    .option('busybox', { type: 'string', default: 'busybox', describe: 'host path of a static busybox, for the list' })
    .option('kexec-bin', { type: 'string', default: 'kexec', describe: 'host path of kexec (kexec-tools), for the list' })
    .option('lib', { type: 'string', array: true, default: [], describe: 'NAME=HOST_PATH: a shared library kexec needs, e.g. /lib/ld-linux-armhf.so.3=...' })
    .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'directory to write the kit to (made if missing; its parent must exist)' })
    .option('json', { type: 'boolean', default: false })
    .option('quiet', QUIET_OPTION) as unknown as Argv<KitArgs>;
}

function parseVersion(v: string): { major: number; minor: number } {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (!m) throw badFlagValue('linux', v, 'a kernel version', 'MAJOR.MINOR', 'e.g. --linux 6.1');
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** The kit library names the field it refuses (`wait '0' is not ...`); on the command line that field is a flag. */
function asFlagError(e: unknown): unknown {
  if (!isUimgError(e) || e.code !== 'BAD_VALUE' || e.data.field === undefined || !e.message.startsWith(`${e.data.field} '`)) return e;
  return new UimgError(e.code, `--${e.data.field}: ${e.message.slice(e.data.field.length + 1)}`, e.data, e.hint);
}

/** The kit's files, all written or none (a half-written kit would boot nothing). */
export async function kitCommand(ctx: Context, a: KitArgs): Promise<number> {
  const libs = a.lib.map((spec) => {
    const at = spec.indexOf('=');
    if (at <= 0 || !spec.startsWith('/')) throw badFlagValue('lib', spec, 'NAME=HOST_PATH', '/NAME=HOST_PATH', 'e.g. --lib /lib/libc.so.6=sysroot/lib/libc.so.6');
    return { name: spec.slice(0, at), location: spec.slice(at + 1) };
  });
  const timeout = parseNumberFlag(a.timeout, 'timeout', { max: 3600 });
  const kit: KexecKit = {
    arch: a.arch,
    entry: { label: a.label, kernel: a.kernel, append: a.append, ...(a.dtb ? { dtb: a.dtb } : {}), ...(a.initrd ? { initrd: a.initrd } : {}) },
    media: a.media,
    waitSeconds: parseNumberFlag(a.wait, 'wait', { positive: true, max: 3600 }),
    files: { init: 'init', busybox: a.busybox, kexec: a.kexecBin, libs },
  };
  let files: [string, string, number][];
  try {
    files = [
      ['init', kexecInit(kit), 0o755],
      ['initramfs.list', formatCpioList(kexecCpioSpecs(kit)), 0o644],
      ['kexec.config', kernelConfigFragment({
        arch: a.arch, profile: a.profile, linux: parseVersion(a.linux), cmdline: a.cmdline, cmdlineMode: a.cmdlineMode,
        initramfsSource: a.initramfsSource, initramfsCompression: a.initramfsCompression,
      }), 0o644],
      ['boot.cfg', kexecbootConfig([kit.entry], { timeout }), 0o644],
      ['kboot.conf', petitbootConfig([kit.entry], { timeout }), 0o644],
    ];
  } catch (e) {
    throw asFlagError(e);
  }
  const dir = await openOutputDir(a.output, 'output');
  try {
    await withOutputs(ctx, files.map(([name, , mode]) => ({ path: join(a.output, name), mode })),
      (sinks) => Promise.all(sinks.map((sink, i) => sink.write(new TextEncoder().encode(files[i]![1])))).then(() => undefined));
  } catch (e) {
    await dir.discard();
    throw e;
  }
  if (a.json) printJson(ctx, { ok: true, directory: a.output, files: files.map(([name]) => name) });
  else if (!a.quiet) ctx.io.stdout(`${a.output}: ${files.map(([name]) => name).join(', ')}\nnext: put ${a.busybox} and ${a.kexecBin} beside them, then cd ${a.output} && uimg cpio --list initramfs.list --gzip -o ../initramfs.cpio.gz\n`);
  return EXIT.OK;
}

interface PlanArgs {
  kernel?: string;
  layout?: string;
  dtb?: string;
  initrd?: string;
  append?: string;
  ramBase?: string;
  ramSize?: string;
  memMin?: string;
  imageSize?: string;
  pageSize: string;
  purgatorySize?: string;
  json: boolean;
}

function planBuilder(y: Argv): Argv<PlanArgs> {
  return y
    .positional('kernel', { type: 'string', describe: 'zImage, arm64 Image, or a uImage wrapping one (default: the layout\'s kernel)' })
    .option('layout', { alias: 'l', type: 'string', describe: 'board layout: RAM, and the kernel, DTB, initrd and command line the flags leave out' })
    .option('dtb', { type: 'string', describe: 'the device tree kexec gets with --dtb (default: the layout\'s)' })
    .option('initrd', { type: 'string', describe: 'the initrd, only its size matters (default: the layout\'s)' })
    .option('append', { type: 'string', describe: 'the command line, which grows the DTB\'s /chosen (default: the layout\'s cmdline)' })
    .option('ram-base', { type: 'string', describe: 'RAM start, e.g. 0x40000000 (default: the layout\'s)' })
    .option('ram-size', { type: 'string', describe: 'RAM size: bytes, hex, or with K/M/G (default: the layout\'s)' })
    .option('mem-min', { type: 'string', describe: 'kexec --mem-min' })
    .option('image-size', { type: 'string', describe: 'kexec --image-size (ARM)' })
    .option('page-size', { type: 'string', default: '4096' })
    .option('purgatory-size', { type: 'string', describe: 'arm64: purgatory segment size (depends on the kexec-tools build; default 16K)' })
    .option('json', { type: 'boolean', default: false }) as unknown as Argv<PlanArgs>;
}

async function planCommand(ctx: Context, a: PlanArgs): Promise<number> {
  const layout = a.layout === undefined ? undefined : await loadLayout(ctx, a.layout);
  const fromLayout = (role: 'kernel' | 'dtb' | 'initrd') => (layout ? layoutImagePath(layout, role) : undefined);
  const kernel = a.kernel ?? fromLayout('kernel');
  if (kernel === undefined) {
    throw new UimgError('USAGE', 'no kernel: name it, or give a --layout whose kernel names a file', { field: 'kernel' }, 'uimg kexec plan zImage --dtb board.dtb --ram-base 0x40000000 --ram-size 256M');
  }
  const dtbPath = a.dtb ?? fromLayout('dtb');
  const initrdPath = a.initrd ?? fromLayout('initrd');
  const cmdline = a.append ?? layout?.cmdline;
  const options = {
    ram: {
      base: flagOrLayout(a.ramBase, 'ram-base', layout?.ram.base, 'ram'),
      size: flagOrLayout(a.ramSize, 'ram-size', layout?.ram.size, 'ram', { positive: true }),
    },
    pageSize: parseNumberFlag(a.pageSize, 'page-size', { positive: true }),
    ...(a.memMin ? { memMin: parseNumberFlag(a.memMin, 'mem-min') } : {}),
    ...(a.imageSize ? { imageSize: parseNumberFlag(a.imageSize, 'image-size', { positive: true }) } : {}),
    ...(a.purgatorySize ? { purgatorySize: parseNumberFlag(a.purgatorySize, 'purgatory-size', { positive: true }) } : {}),
  };
  const dtb = dtbPath !== undefined ? await readDtb(ctx, dtbPath) : undefined;
  const initrdSize = initrdPath !== undefined ? await noteInput(ctx, initrdPath) : undefined;
  const src = await openSource(ctx, kernel);
  try {
    const plan = await planKexec({
      kernel: src,
      ...(dtb ? { dtb } : {}),
      ...(initrdSize !== undefined ? { initrd: { size: initrdSize } } : {}),
      ...(cmdline !== undefined ? { cmdline } : {}),
      ...options,
    }).catch((e) => { throw ioError(e, displayPath(kernel), 'plan'); });
    const ok = !plan.findings.some((f) => f.severity === 'error');
    const files = { kernel: displayPath(kernel), ...(dtbPath !== undefined ? { dtb: dtbPath } : {}), ...(initrdPath !== undefined ? { initrd: initrdPath } : {}) };
    if (a.json) printJson(ctx, { ok, file: files.kernel, ...(a.layout !== undefined ? { layout: a.layout } : {}), ...planJson(plan) });
    else ctx.io.stdout(formatPlan(plan, files));
    for (const f of a.json ? [] : plan.findings) ctx.io.stderr(`uimg: ${f.severity}: ${f.message}${f.hint ? ` (hint: ${f.hint})` : ''}\n`);
    return ok ? EXIT.OK : EXIT.INVALID;
  } finally {
    await src.close();
  }
}

/** The plan as data, with hex strings beside the addresses as inspect gives them. */
function planJson(plan: KexecPlan) {
  return {
    ...plan,
    entryHex: hex(plan.entry),
    segments: plan.segments.map((s) => ({ ...s, memHex: hex(s.mem), endHex: hex(s.mem + s.memsz) })),
    ...(plan.registers ? { registers: { ...plan.registers, r2Hex: hex(plan.registers.r2) } } : {}),
  };
}

/** The plan as a table: what kexec_load gets, then the registers and how it was placed. */
export function formatPlan(plan: KexecPlan, files: { kernel: string; dtb?: string | undefined; initrd?: string | undefined }): string {
  const arch = plan.arch === 'arm' ? 'KEXEC_ARCH_ARM' : 'KEXEC_ARCH_AARCH64';
  const lines = [
    `${plan.kernelFormat}: kexec_load(entry=${hex(plan.entry)}${plan.entryExact ? '' : ' (approx.)'}, nr_segments=${plan.segments.length}, flags=${arch} ${hex(plan.flags)})`,
    '  #  segment    bufsz       mem                 memsz       buf',
  ];
  const width = plan.arch === 'arm' ? 8 : 16;
  plan.segments.forEach((s, i) => {
    const file = s.source.file === 'kernel' ? files.kernel : s.source.file === 'initrd' ? files.initrd : s.source.file === 'dtb' ? `${files.dtb} (updated)` : 'built by kexec-tools';
    lines.push(`  ${i}  ${s.name.padEnd(10)} ${hex(s.bufsz)}  ${hex(s.mem, width).padEnd(18)}  ${hex(s.memsz)}  ${file} @ ${hex(s.source.offset, 1)}`);
  });
  if (plan.registers) lines.push(`  r0=${plan.registers.r0}, r1=machine type, r2=${hex(plan.registers.r2)} (the DTB segment)`);
  for (const n of plan.notes) lines.push(`  ${n}`);
  return lines.join('\n') + '\n';
}
