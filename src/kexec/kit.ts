/**
 * The kexec bootloader kit: a small Linux kernel whose initramfs /init finds the real kernel on the boot media and
 * jumps to it with kexec. Emitters for the /init script, its gen_init_cpio list, and menu entries for the two
 * kexec-based boot menus that read config files from the media (kexecboot's boot.cfg, petitboot's kboot.conf).
 * Command lines and option names: kexec-tools 2.0.25 (kernel-formats.md §7.3).
 */
import { UimgError } from '../errors.js';
import type { CpioSpec } from '../formats/cpio/list.js';

export const KEXEC_ARCHES = ['arm', 'arm64', 'riscv', 'x86', 'sh'] as const;
export type KexecArch = (typeof KEXEC_ARCHES)[number];

/** kexec-tools takes --dtb on these; elsewhere the next kernel gets no device tree from the loader. */
const DTB_ARCHES: readonly KexecArch[] = ['arm', 'arm64', 'riscv'];

export interface BootEntry {
  /** Menu label. */
  label: string;
  /** Paths on the boot media (absolute, as seen with the media mounted at /). */
  kernel: string;
  dtb?: string;
  initrd?: string;
  /** The next kernel's whole command line (kexec --append). */
  append: string;
}

export interface KexecKit {
  arch: KexecArch;
  entry: BootEntry;
  /** Where to look, in order: device nodes (/dev/mmcblk0p1) or LABEL=... / UUID=... (resolved with findfs). */
  media: string[];
  /** How long to keep looking while slow media (USB, SD) appear, in seconds. */
  waitSeconds: number;
  /** Host paths the gen_init_cpio list takes the programs from. */
  files: { init: string; busybox: string; kexec: string; libs: { name: string; location: string }[] };
}

/** Where /init mounts the media. */
export const MEDIA_MOUNT = '/mnt/boot';

/** busybox applets /init uses (the shell's builtins aside). */
export const INIT_APPLETS = ['sh', 'mount', 'umount', 'mkdir', 'sleep', 'findfs', 'setsid', 'cttyhack'] as const;

const SAFE_PATH = /^\/[A-Za-z0-9._+,@%/-]*$/;
const SAFE_MEDIA = /^(\/dev\/[A-Za-z0-9._:/-]+|(LABEL|UUID|PARTUUID|PARTLABEL)=[A-Za-z0-9._:-]+)$/;

function bad(field: string, value: string, expected: string, hint?: string): UimgError {
  return new UimgError('BAD_VALUE', `${field} '${value}' is not ${expected}`, { field, expected, actual: value }, hint);
}

/** Single quotes for the shell: nothing inside is expanded. */
export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Checks a kit before anything is emitted; returns it for chaining. */
export function checkKit(kit: KexecKit): KexecKit {
  const { entry } = kit;
  checkEntryPaths(entry);
  if (entry.dtb !== undefined && !DTB_ARCHES.includes(kit.arch)) {
    throw bad('dtb', entry.dtb, `usable on ${kit.arch}`, `kexec-tools takes --dtb on ${DTB_ARCHES.join(', ')} only`);
  }
  if (kit.media.length === 0) throw new UimgError('USAGE', 'no boot media given', { field: 'media' }, 'e.g. --media /dev/mmcblk0p1 --media LABEL=boot');
  for (const m of kit.media) if (!SAFE_MEDIA.test(m)) throw bad('media', m, 'a /dev/ node or LABEL=, UUID=, PARTUUID=, PARTLABEL=');
  if (!Number.isInteger(kit.waitSeconds) || kit.waitSeconds < 1 || kit.waitSeconds > 3600) {
    throw bad('wait', String(kit.waitSeconds), 'a number of seconds from 1 to 3600');
  }
  return kit;
}

/** The initramfs /init: a busybox sh script. */
export function kexecInit(kit: KexecKit): string {
  const { entry } = checkKit(kit);
  const at = (p: string) => `"$MEDIA${p}"`;
  const loadArgs = [
    `-l ${at('$KERNEL')}`,
    ...(entry.dtb ? [`--dtb=${at('$DTB')}`] : []),
    ...(entry.initrd ? [`--initrd=${at('$INITRD')}`] : []),
    '--append="$APPEND"',
  ];
  return `#!/bin/sh
# kexec bootloader /init (made by uimg kexec kit). It mounts proc, sys and devtmpfs, looks for the kernel on
# the boot media, loads it with kexec -l and jumps to it with kexec -e; on any failure it starts a shell.
export PATH=/sbin:/bin

KERNEL=${shellQuote(entry.kernel)}
${entry.dtb ? `DTB=${shellQuote(entry.dtb)}\n` : ''}${entry.initrd ? `INITRD=${shellQuote(entry.initrd)}\n` : ''}APPEND=${shellQuote(entry.append)}
MEDIA=${MEDIA_MOUNT}
WAIT=${kit.waitSeconds}

rescue() {
\techo "kexec-boot: $*" >&2
\techo "kexec-boot: starting a shell" >&2
\tcommand -v cttyhack >/dev/null && exec setsid cttyhack sh
\texec sh
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p "$MEDIA"

# Media appear as their drivers probe: look again once a second for up to WAIT seconds.
found=
tries=$WAIT
while :; do
\tfor spec in ${kit.media.map(shellQuote).join(' ')}; do
\t\tcase $spec in
\t\t*=*) dev=$(findfs "$spec" 2>/dev/null) || continue ;;
\t\t*) dev=$spec ;;
\t\tesac
\t\t[ -b "$dev" ] || continue
\t\tmount -o ro "$dev" "$MEDIA" 2>/dev/null || continue
\t\tif [ -f "$MEDIA$KERNEL" ]; then
\t\t\tfound=$dev
\t\t\tbreak 2
\t\tfi
\t\tumount "$MEDIA"
\tdone
\ttries=$((tries - 1))
\t[ "$tries" -gt 0 ] || rescue "no $KERNEL on ${kit.media.join(', ')}"
\tsleep 1
done

echo "kexec-boot: ${entry.label.replace(/["$`\\]/g, '\\$&')}: $KERNEL from $found"
kexec ${loadArgs.join(' \\\n\t')} || rescue "kexec -l failed"
umount "$MEDIA"
kexec -e
rescue "kexec -e failed"
`;
}

/** The initramfs contents as gen_init_cpio entries: directories, the console node, /init, busybox and its applets, kexec. */
export function kexecCpioSpecs(kit: KexecKit): CpioSpec[] {
  checkKit(kit);
  const root = { uid: 0, gid: 0 };
  const dir = (name: string, mode = 0o755): CpioSpec => ({ kind: 'dir', name, mode, ...root });
  const specs: CpioSpec[] = [
    dir('/dev'),
    { kind: 'nod', name: '/dev/console', mode: 0o600, ...root, device: 'c', major: 5, minor: 1 },
    dir('/proc'), dir('/sys'), dir('/mnt'), dir(MEDIA_MOUNT), dir('/bin'), dir('/sbin'),
    { kind: 'file', name: '/init', location: kit.files.init, mode: 0o755, ...root, links: [] },
    { kind: 'file', name: '/bin/busybox', location: kit.files.busybox, mode: 0o755, ...root, links: [] },
    ...INIT_APPLETS.map((a): CpioSpec => ({ kind: 'slink', name: `/bin/${a}`, target: 'busybox', mode: 0o777, ...root })),
    { kind: 'file', name: '/sbin/kexec', location: kit.files.kexec, mode: 0o755, ...root, links: [] },
  ];
  const libDirs = [...new Set(kit.files.libs.map((l) => l.name.replace(/\/[^/]*$/, '')))].sort();
  for (const d of libDirs) {
    const parts = d.split('/').filter(Boolean);
    parts.forEach((_, i) => {
      const name = '/' + parts.slice(0, i + 1).join('/');
      if (!specs.some((s) => s.name === name)) specs.push(dir(name));
    });
  }
  for (const lib of kit.files.libs) specs.push({ kind: 'file', name: lib.name, location: lib.location, mode: 0o755, ...root, links: [] });
  return specs;
}

export interface MenuOptions {
  /** Seconds before the default entry boots. */
  timeout: number;
}

/**
 * kexecboot's /boot/boot.cfg (one per partition it scans): KEYWORD=value lines, LABEL opens an entry; paths are
 * relative to that partition. APPEND is added after the root= kexecboot derives from the partition, CMDLINE
 * replaces it: an entry with its own root= uses CMDLINE. kexecboot reads lines of at most 255 characters.
 */
export function kexecbootConfig(entries: readonly BootEntry[], opts: MenuOptions): string {
  const lines = ['# kexecboot menu (made by uimg kexec kit); kexecboot reads /boot/boot.cfg on each partition', `TIMEOUT=${opts.timeout}`];
  entries.forEach((e, i) => {
    checkEntryPaths(e);
    lines.push('', `LABEL=${oneLine(e.label, 'label')}`, `KERNEL=${e.kernel}`);
    if (e.dtb) lines.push(`DTB=${e.dtb}`);
    if (e.initrd) lines.push(`INITRD=${e.initrd}`);
    lines.push(`${/(^| )root=/.test(e.append) ? 'CMDLINE' : 'APPEND'}=${e.append}`, `PRIORITY=${entries.length - i}`);
    if (i === 0) lines.push('DEFAULT');
  });
  const long = lines.find((l) => l.length > 255);
  if (long) {
    throw new UimgError('BAD_VALUE', `boot.cfg line of ${long.length} characters: kexecboot reads at most 255`,
      { field: long.split('=')[0], expected: '<= 255', actual: long.length }, 'shorten the command line');
  }
  return lines.join('\n') + '\n';
}

/**
 * petitboot's kboot.conf (/kboot.conf or /etc/kboot.conf): `name='kernel initrd=PATH root=DEV args'`, one entry a
 * line, plus `default=` and `timeout=`. It has no device-tree key: kexec then passes on the running kernel's tree.
 */
export function petitbootConfig(entries: readonly BootEntry[], opts: MenuOptions): string {
  const lines = ['# petitboot kboot.conf (made by uimg kexec kit)', `timeout=${opts.timeout}`];
  if (entries[0]) lines.push(`default=${kbootName(entries[0].label)}`);
  for (const e of entries) {
    checkEntryPaths(e);
    if (/'/.test(e.append)) throw bad('append', e.append, "free of single quotes", 'kboot.conf values are quoted with them');
    const value = [e.kernel, ...(e.initrd ? [`initrd=${e.initrd}`] : []), e.append].join(' ').trim();
    lines.push(`${e.dtb ? `# ${kbootName(e.label)}: kboot.conf cannot name a DTB (${e.dtb}); the running kernel's is passed on\n` : ''}${kbootName(e.label)}='${value}'`);
  }
  return lines.join('\n') + '\n';
}

function kbootName(label: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(label)) throw bad('label', label, 'a kboot.conf name', 'letters, digits and ._- only (the name goes before =)');
  return label;
}

function oneLine(s: string, field: string): string {
  if (/[\n\0]/.test(s)) throw bad(field, s, 'one line');
  return s;
}

function checkEntryPaths(e: BootEntry): void {
  for (const [field, value] of [['kernel', e.kernel], ['dtb', e.dtb], ['initrd', e.initrd]] as const) {
    if (value !== undefined && !SAFE_PATH.test(value)) {
      throw bad(field, value, 'an absolute path on the boot media', 'letters, digits and ._+,@%/- only, starting with /');
    }
  }
  oneLine(e.append, 'append');
}
