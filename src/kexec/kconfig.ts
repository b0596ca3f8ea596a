/**
 * A kernel config fragment for the kexec bootloader kernel (merge it onto the board's defconfig with
 * scripts/kconfig/merge_config.sh). Size profiles in the spirit of the practice: L keeps a comfortable kernel,
 * M drops what a bootloader never uses, S goes uniprocessor and tiny. Option names and dependencies are Linux 6.1's
 * (kernel-formats.md §7.4); options that changed within 6.x (the small slab allocator) follow the target version.
 */
import { UimgError } from '../errors.js';
import type { KexecArch } from './kit.js';

export const SIZE_PROFILES = ['L', 'M', 'S'] as const;
export type SizeProfile = (typeof SIZE_PROFILES)[number];
export const CMDLINE_MODES = ['bootloader', 'extend', 'force'] as const;
export type CmdlineMode = (typeof CMDLINE_MODES)[number];
export const INITRAMFS_COMPRESSIONS = ['gzip', 'bzip2', 'lzma', 'xz', 'lzo', 'lz4', 'zstd', 'none'] as const;
export type InitramfsCompression = (typeof INITRAMFS_COMPRESSIONS)[number];

export interface KernelConfigOptions {
  arch: KexecArch;
  profile: SizeProfile;
  /** The kernel the fragment is for, e.g. { major: 6, minor: 1 }. */
  linux: { major: number; minor: number };
  /** Built-in command line ('' for none). */
  cmdline: string;
  /** How the built-in command line meets the loader's. */
  cmdlineMode: CmdlineMode;
  /** CONFIG_INITRAMFS_SOURCE: the gen_init_cpio list (or a directory, or a .cpio). */
  initramfsSource: string;
  initramfsCompression: InitramfsCompression;
}

/** One line of the fragment: y, n (written "is not set"), a number or a string. */
export interface Setting {
  option: string;
  value: 'y' | 'n' | number | string;
  why?: string;
}

type Profiles = readonly SizeProfile[];
const ALL: Profiles = ['L', 'M', 'S'];
const SMALL: Profiles = ['M', 'S'];
const TINY: Profiles = ['S'];

/** Options set alike, with no comment of their own. */
const all = (value: 'y' | 'n', ...options: string[]): Setting[] => options.map((option) => ({ option, value }));

/** Settings every arch shares, with the profiles they belong to. Tables are data: edit here, not in the code below. */
const COMMON: readonly { in: Profiles; set: Setting[] }[] = [
  { in: ALL, set: [
    { option: 'KEXEC', value: 'y', why: 'the kexec_load system call this kernel exists for' },
    { option: 'BLK_DEV_INITRD', value: 'y', why: 'initramfs support' },
    { option: 'INITRAMFS_ROOT_UID', value: 0 },
    { option: 'INITRAMFS_ROOT_GID', value: 0 },
    { option: 'DEVTMPFS', value: 'y', why: '/init mounts devtmpfs: device nodes without mdev or udev' },
    ...all('y', 'PROC_FS', 'SYSFS', 'BINFMT_ELF'),
    { option: 'BINFMT_SCRIPT', value: 'y', why: '/init is a shell script' },
    ...all('y', 'BLOCK', 'PARTITION_ADVANCED', 'MSDOS_PARTITION', 'EFI_PARTITION'),
    { option: 'EXT4_FS', value: 'y', why: 'the boot media: add the board\'s MMC/USB/SATA host drivers built in' },
    { option: 'VFAT_FS', value: 'y' },
    { option: 'NLS_CODEPAGE_437', value: 'y', why: 'vfat\'s default codepage and iocharset' },
    ...all('y', 'NLS_ISO8859_1', 'MMC', 'MMC_BLOCK', 'CC_OPTIMIZE_FOR_SIZE'),
    { option: 'MODULES', value: 'n', why: 'everything built in: the initramfs carries no modules' },
  ] },
  { in: SMALL, set: [
    { option: 'EXPERT', value: 'y', why: 'makes the options below (and SLOB) selectable' },
    { option: 'NET', value: 'n', why: 'a local-media bootloader needs no networking (keep it, profile L, for network boot)' },
    ...all('n', 'SWAP', 'SYSVIPC', 'POSIX_MQUEUE', 'AUDIT', 'CGROUPS', 'NAMESPACES', 'KALLSYMS', 'COREDUMP', 'IO_URING',
      'BPF_SYSCALL', 'PROFILING', 'FTRACE'),
  ] },
  { in: TINY, set: [
    { option: 'PREEMPT_NONE', value: 'y', why: 'with !SMP this gives TINY_RCU, which cannot be set directly' },
    { option: 'BUG', value: 'n' },
    { option: 'BASE_FULL', value: 'n', why: 'BASE_SMALL: smaller kernel data structures' },
    ...all('n', 'EPOLL', 'SIGNALFD', 'TIMERFD', 'EVENTFD', 'AIO', 'ADVISE_SYSCALLS', 'MEMBARRIER'),
  ] },
];

/** Per-arch settings: SMP and the kernel image's compression where the arch lets them be chosen. */
const ARCH_SETTINGS: Record<KexecArch, readonly { in: Profiles; set: Setting[] }[]> = {
  arm: [
    { in: ['L', 'M'], set: [
      { option: 'HOTPLUG_CPU', value: 'y', why: 'ARM\'s KEXEC needs !SMP or PM_SLEEP_SMP (HOTPLUG_CPU and SUSPEND)' },
      { option: 'SUSPEND', value: 'y' },
    ] },
    { in: TINY, set: [{ option: 'SMP', value: 'n', why: 'uniprocessor: TINY_RCU, and KEXEC without PM_SLEEP_SMP' }, { option: 'KERNEL_XZ', value: 'y' }] },
  ],
  arm64: [], // always SMP (def_bool y): no TINY_RCU; Image compression is the build's (Image.gz), not a Kconfig choice
  riscv: [{ in: TINY, set: [{ option: 'SMP', value: 'n', why: 'uniprocessor: TINY_RCU' }] }],
  x86: [{ in: TINY, set: [{ option: 'SMP', value: 'n', why: 'uniprocessor: TINY_RCU' }, { option: 'KERNEL_XZ', value: 'y' }] }],
  sh: [{ in: TINY, set: [{ option: 'SMP', value: 'n', why: 'uniprocessor: TINY_RCU' }, { option: 'KERNEL_XZ', value: 'y' }] }],
};

/** How each arch spells the built-in command line's relation to the loader's (Linux 6.1 Kconfig). */
const CMDLINE_CHOICES: Record<KexecArch, Partial<Record<CmdlineMode, Setting[]>> & { string: Setting[] }> = {
  arm: {
    string: [],
    bootloader: [{ option: 'CMDLINE_FROM_BOOTLOADER', value: 'y' }],
    extend: [{ option: 'CMDLINE_EXTEND', value: 'y' }],
    force: [{ option: 'CMDLINE_FORCE', value: 'y' }],
  },
  arm64: {
    string: [],
    bootloader: [{ option: 'CMDLINE_FROM_BOOTLOADER', value: 'y' }],
    force: [{ option: 'CMDLINE_FORCE', value: 'y' }],
  },
  riscv: {
    string: [],
    bootloader: [{ option: 'CMDLINE_FALLBACK', value: 'y' }],
    extend: [{ option: 'CMDLINE_EXTEND', value: 'y' }],
    force: [{ option: 'CMDLINE_FORCE', value: 'y' }],
  },
  x86: {
    string: [{ option: 'CMDLINE_BOOL', value: 'y', why: 'x86 puts the built-in line first and the loader\'s after it' }],
    extend: [],
    force: [{ option: 'CMDLINE_OVERRIDE', value: 'y' }],
  },
  sh: {
    string: [],
    extend: [{ option: 'CMDLINE_EXTEND', value: 'y' }],
    force: [{ option: 'CMDLINE_OVERWRITE', value: 'y' }],
  },
};

const COMPRESSION_SUFFIX: Record<Exclude<InitramfsCompression, 'none'>, string> = {
  gzip: 'GZIP', bzip2: 'BZIP2', lzma: 'LZMA', xz: 'XZ', lzo: 'LZO', lz4: 'LZ4', zstd: 'ZSTD',
};

/** The small slab allocator of the target version: SLOB until 6.1; SLUB_TINY from 6.2 (SLOB deprecated, gone in 6.4). */
function tinyAllocator(linux: { major: number; minor: number }): Setting[] {
  if (linux.major === 6 && linux.minor < 2) return [{ option: 'SLOB', value: 'y', why: 'the smallest allocator (6.2 replaced it with SLUB_TINY)' }];
  return [
    { option: 'SLUB', value: 'y' },
    { option: 'SLUB_TINY', value: 'y', why: 'SLOB\'s replacement since 6.2 (SLOB was removed in 6.4)' },
  ];
}

export function kernelConfigSettings(o: KernelConfigOptions): Setting[] {
  if (o.linux.major !== 6) {
    throw new UimgError('BAD_VALUE', `Linux ${o.linux.major}.${o.linux.minor}: the fragment is written for Linux 6.x`,
      { field: 'linux', expected: '6.x', actual: `${o.linux.major}.${o.linux.minor}` });
  }
  const choice = CMDLINE_CHOICES[o.arch];
  const modeSettings = choice[o.cmdlineMode];
  if (o.cmdline !== '' && !modeSettings) {
    const modes = CMDLINE_MODES.filter((m) => choice[m]);
    throw new UimgError('BAD_VALUE', `--cmdline-mode ${o.cmdlineMode}: ${o.arch} has no such choice (it offers ${modes.join(', ')})`,
      { field: 'cmdline-mode', expected: modes.join('|'), actual: o.cmdlineMode });
  }
  if (/["\n\\]/.test(o.cmdline) || /["\n\\]/.test(o.initramfsSource)) {
    throw new UimgError('BAD_VALUE', 'the command line and the initramfs source cannot hold ", \\ or newlines in a Kconfig string',
      { field: 'cmdline', actual: o.cmdline });
  }
  const pick = (groups: readonly { in: Profiles; set: Setting[] }[]) => groups.filter((g) => g.in.includes(o.profile)).flatMap((g) => g.set);
  const settings: Setting[] = [...pick(COMMON), ...pick(ARCH_SETTINGS[o.arch])];
  if (o.profile === 'S') settings.push(...tinyAllocator(o.linux));
  settings.push({ option: 'INITRAMFS_SOURCE', value: o.initramfsSource, why: 'the gen_init_cpio list of the kit' });
  const used = o.initramfsCompression;
  settings.push({ option: `INITRAMFS_COMPRESSION_${used === 'none' ? 'NONE' : COMPRESSION_SUFFIX[used]}`, value: 'y' });
  for (const [name, suffix] of Object.entries(COMPRESSION_SUFFIX)) {
    if (name === used) settings.push({ option: `RD_${suffix}`, value: 'y', why: 'to unpack the built-in initramfs' });
    else if (o.profile !== 'L') settings.push({ option: `RD_${suffix}`, value: 'n' });
  }
  if (o.cmdline !== '') {
    settings.push(...choice.string, { option: 'CMDLINE', value: o.cmdline }, ...modeSettings!);
  }
  return settings;
}

function settingLine(s: Setting): string {
  if (s.value === 'n') return `# CONFIG_${s.option} is not set`;
  if (typeof s.value === 'number' || s.value === 'y') return `CONFIG_${s.option}=${s.value}`;
  return `CONFIG_${s.option}="${s.value}"`;
}

/** The fragment as text: a header, then one line per setting, each reason as a comment above it. */
export function kernelConfigFragment(o: KernelConfigOptions): string {
  const lines = [
    `# kexec bootloader kernel, profile ${o.profile}, ${o.arch}, Linux ${o.linux.major}.${o.linux.minor} (made by uimg kexec kit)`,
    '# Merge onto the board defconfig: scripts/kconfig/merge_config.sh -m .config kexec.config && make olddefconfig',
  ];
  for (const s of kernelConfigSettings(o)) {
    if (s.why) lines.push(`# ${s.why}`);
    lines.push(settingLine(s));
  }
  return lines.join('\n') + '\n';
}
