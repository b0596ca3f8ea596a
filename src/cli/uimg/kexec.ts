/** uimg kexec: the kexec bootloader kit (kit) and what kexec_load would receive for a kernel (plan). */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { UimgError } from '../../errors.js';
import { formatCpioList } from '../../formats/cpio/list.js';
import { CMDLINE_MODES, INITRAMFS_COMPRESSIONS, SIZE_PROFILES, kernelConfigFragment, type KernelConfigOptions } from '../../kexec/kconfig.js';
import { KEXEC_ARCHES, kexecCpioSpecs, kexecInit, kexecbootConfig, petitbootConfig, type KexecKit } from '../../kexec/kit.js';
import { planKexec, type KexecPlan } from '../../kexec/plan.js';
import { atomicFileSink } from '../../node/file.js';
import { type Context, EXIT, displayPath, ioError, openSource, printJson } from './common.js';

type Handle = <A>(command: (ctx: Context, a: A) => Promise<number>) => (a: A) => Promise<void>;

export function kexecCommands(y: Argv, handle: Handle): Argv {
  return y
    .command('kit', 'write a kexec bootloader kit: /init, its gen_init_cpio list, a kernel config fragment, boot menus', kitBuilder, handle(kitCommand))
    .command('plan <kernel>', 'the segments and entry kexec_load would get for a kernel, DTB and initrd on given RAM', planBuilder, handle(planCommand))
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
  wait: number;
  timeout: number;
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
}

function kitBuilder(y: Argv): Argv<KitArgs> {
  return y
    .option('arch', { choices: KEXEC_ARCHES, demandOption: true })
    .option('kernel', { type: 'string', demandOption: true, describe: 'the next kernel, as a path on the boot media (e.g. /boot/zImage)' })
    .option('dtb', { type: 'string', describe: 'its device tree on the media' })
    .option('initrd', { type: 'string', describe: 'its initrd on the media' })
    .option('append', { type: 'string', default: '', describe: 'its whole command line' })
    .option('label', { type: 'string', default: 'linux', describe: 'menu label' })
    .option('media', { type: 'string', array: true, demandOption: true, describe: 'where to look, in order: /dev/... or LABEL=/UUID=/PARTUUID=' })
    .option('wait', { type: 'number', default: 10, describe: 'seconds to wait for the media' })
    .option('timeout', { type: 'number', default: 5, describe: 'boot menu timeout (boot.cfg, kboot.conf)' })
    .option('profile', { choices: SIZE_PROFILES, default: 'M' as const, describe: 'kernel size profile' })
    .option('linux', { type: 'string', default: '6.1', describe: 'the bootloader kernel\'s version (6.x)' })
    .option('cmdline', { type: 'string', default: '', describe: 'the bootloader kernel\'s built-in command line' })
    .option('cmdline-mode', { choices: CMDLINE_MODES, default: 'bootloader' as const, describe: 'built-in line vs the loader\'s' })
    .option('initramfs-compression', { choices: INITRAMFS_COMPRESSIONS, default: 'gzip' as const })
    .option('initramfs-source', { type: 'string', default: 'initramfs.list', describe: 'CONFIG_INITRAMFS_SOURCE (absolute for a kernel build)' })
    .option('busybox', { type: 'string', default: 'busybox', describe: 'host path of a static busybox, for the list' })
    .option('kexec-bin', { type: 'string', default: 'kexec', describe: 'host path of kexec (kexec-tools), for the list' })
    .option('lib', { type: 'string', array: true, default: [], describe: 'NAME=HOST_PATH: a shared library kexec needs, e.g. /lib/ld-linux-armhf.so.3=...' })
    .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'directory to write the kit to' })
    .option('json', { type: 'boolean', default: false }) as unknown as Argv<KitArgs>;
}

function parseVersion(v: string): { major: number; minor: number } {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (!m) throw new UimgError('BAD_VALUE', `--linux '${v}' is not a version`, { field: 'linux', expected: 'MAJOR.MINOR', actual: v }, 'e.g. --linux 6.1');
  return { major: Number(m[1]), minor: Number(m[2]) };
}

async function kitCommand(ctx: Context, a: KitArgs): Promise<number> {
  const libs = a.lib.map((spec) => {
    const at = spec.indexOf('=');
    if (at <= 0 || !spec.startsWith('/')) {
      throw new UimgError('BAD_VALUE', `--lib '${spec}' is not NAME=HOST_PATH`, { field: 'lib', actual: spec }, 'e.g. --lib /lib/libc.so.6=sysroot/lib/libc.so.6');
    }
    return { name: spec.slice(0, at), location: spec.slice(at + 1) };
  });
  const kit: KexecKit = {
    arch: a.arch,
    entry: { label: a.label, kernel: a.kernel, append: a.append, ...(a.dtb ? { dtb: a.dtb } : {}), ...(a.initrd ? { initrd: a.initrd } : {}) },
    media: a.media,
    waitSeconds: a.wait,
    files: { init: 'init', busybox: a.busybox, kexec: a.kexecBin, libs },
  };
  const files: [string, string, number][] = [
    ['init', kexecInit(kit), 0o755],
    ['initramfs.list', formatCpioList(kexecCpioSpecs(kit)), 0o644],
    ['kexec.config', kernelConfigFragment({
      arch: a.arch, profile: a.profile, linux: parseVersion(a.linux), cmdline: a.cmdline, cmdlineMode: a.cmdlineMode,
      initramfsSource: a.initramfsSource, initramfsCompression: a.initramfsCompression,
    }), 0o644],
    ['boot.cfg', kexecbootConfig([kit.entry], { timeout: a.timeout }), 0o644],
    ['kboot.conf', petitbootConfig([kit.entry], { timeout: a.timeout }), 0o644],
  ];
  await mkdir(a.output, { recursive: true }).catch((e) => { throw ioError(e, a.output, 'create the directory'); });
  for (const [name, text, mode] of files) {
    const path = join(a.output, name);
    const sink = await atomicFileSink(path, { mode }).catch((e) => { throw ioError(e, path, 'create'); });
    try {
      await sink.write(new TextEncoder().encode(text));
      await sink.commit();
    } finally {
      await sink.abort();
    }
  }
  if (a.json) printJson(ctx, { ok: true, directory: a.output, files: files.map(([name]) => name) });
  else ctx.io.stdout(`${a.output}: ${files.map(([name]) => name).join(', ')}\nnext: put ${a.busybox} and ${a.kexecBin} beside them, then cd ${a.output} && uimg cpio --list initramfs.list --gzip -o ../initramfs.cpio.gz\n`);
  return EXIT.OK;
}

interface PlanArgs {
  kernel: string;
  dtb?: string;
  initrd?: string;
  append?: string;
  ramBase: string;
  ramSize: string;
  memMin?: string;
  imageSize?: string;
  pageSize: string;
  purgatorySize?: string;
  json: boolean;
}

function planBuilder(y: Argv): Argv<PlanArgs> {
  return y
    .positional('kernel', { type: 'string', demandOption: true, describe: 'zImage, arm64 Image, or a uImage wrapping one' })
    .option('dtb', { type: 'string', describe: 'the device tree kexec gets with --dtb' })
    .option('initrd', { type: 'string', describe: 'the initrd (only its size matters)' })
    .option('append', { type: 'string', describe: 'the command line (it grows the DTB\'s /chosen)' })
    .option('ram-base', { type: 'string', demandOption: true, describe: 'RAM start, e.g. 0x40000000' })
    .option('ram-size', { type: 'string', demandOption: true, describe: 'RAM size: bytes, hex, or with K/M/G' })
    .option('mem-min', { type: 'string', describe: 'kexec --mem-min' })
    .option('image-size', { type: 'string', describe: 'kexec --image-size (ARM)' })
    .option('page-size', { type: 'string', default: '4096' })
    .option('purgatory-size', { type: 'string', describe: 'arm64: purgatory segment size (depends on the kexec-tools build; default 16K)' })
    .option('json', { type: 'boolean', default: false }) as unknown as Argv<PlanArgs>;
}

/** 0x40000000, 1073741824, 256M, 1G, 64K. */
export function parseSize(value: string, flag: string): number {
  const m = /^(0x[0-9a-f]+|\d+)([kmg])?$/i.exec(value.trim());
  const n = m ? Number(m[1]) * (m[2] ? 1024 ** ('kmg'.indexOf(m[2].toLowerCase()) + 1) : 1) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new UimgError('BAD_VALUE', `--${flag} '${value}' is not a size or address`, { field: flag, expected: 'e.g. 0x40000000, 256M', actual: value });
  }
  return n;
}

const hex = (n: number, width = 8) => '0x' + n.toString(16).padStart(width, '0');

async function planCommand(ctx: Context, a: PlanArgs): Promise<number> {
  const src = await openSource(ctx, a.kernel);
  try {
    const read = async (path: string) => new Uint8Array(await readFile(path).catch((e) => { throw ioError(e, path, 'read'); }));
    const initrdSize = a.initrd ? (await read(a.initrd)).length : undefined;
    const plan = await planKexec({
      kernel: src,
      ...(a.dtb ? { dtb: await read(a.dtb) } : {}),
      ...(initrdSize !== undefined ? { initrd: { size: initrdSize } } : {}),
      ...(a.append !== undefined ? { cmdline: a.append } : {}),
      ram: { base: parseSize(a.ramBase, 'ram-base'), size: parseSize(a.ramSize, 'ram-size') },
      pageSize: parseSize(a.pageSize, 'page-size'),
      ...(a.memMin ? { memMin: parseSize(a.memMin, 'mem-min') } : {}),
      ...(a.imageSize ? { imageSize: parseSize(a.imageSize, 'image-size') } : {}),
      ...(a.purgatorySize ? { purgatorySize: parseSize(a.purgatorySize, 'purgatory-size') } : {}),
    }).catch((e) => { throw ioError(e, displayPath(a.kernel), 'plan'); });
    const ok = !plan.findings.some((f) => f.severity === 'error');
    if (a.json) printJson(ctx, { ok, file: displayPath(a.kernel), ...plan });
    else ctx.io.stdout(formatPlan(plan, { kernel: displayPath(a.kernel), dtb: a.dtb, initrd: a.initrd }));
    for (const f of a.json ? [] : plan.findings) ctx.io.stderr(`uimg: ${f.severity}: ${f.message}${f.hint ? ` (hint: ${f.hint})` : ''}\n`);
    return ok ? EXIT.OK : EXIT.INVALID;
  } finally {
    await src.close();
  }
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
