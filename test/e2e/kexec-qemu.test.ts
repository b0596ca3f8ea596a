// End to end, a real kexec bootloader: the Debian armmp kernel under QEMU boots an initramfs written by uimg cpio
// from the kit's gen_init_cpio list (Debian's static busybox, kexec-tools and its shared libraries), whose /init
// kexecs the same kernel with a second initramfs; kernel 2's banner and its /init's marker appear. On the way,
// kexec-tools' own segment table (kexec -d) is compared with uimg kexec plan for the same files and RAM, once as
// kexec-tools places them by default and once with the --image-size the plan's kexec-decompress-overlap hint gives
// (Debian's armmp kernel has TEXT_OFFSET 0x208000; without it kernel 2 never starts: it decompresses over its DTB).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBytes } from '../../src/bytes/source.js';
import { formatCpioList, type CpioSpec } from '../../src/formats/cpio/list.js';
import { kexecCpioSpecs } from '../../src/kexec/kit.js';
import { planKexec, type KexecPlan } from '../../src/kexec/plan.js';
import { debianArmhfRoot, neededLibraries } from '../debian-armhf.js';
import { debianArmmpZImage } from '../debian-files.js';
import { hasTool, runOurs } from '../helpers.js';
import { runQemu } from './qemu.js';
import { skipped } from '../skip.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const QEMU = 'qemu-system-arm';
const MARKER = 'UIMG-INITRAMFS-OK';
const RAM = { base: 0x40000000, size: 256 << 20 };
const MACHINE = ['-M', 'virt', '-cpu', 'cortex-a15', '-m', '256'];
const APPEND_1 = 'console=ttyAMA0 panic=-1 rdinit=/init';
const APPEND_2 = 'console=ttyAMA0 panic=-1 rdinit=/init uimg-kernel-2';

const missing = [QEMU, 'arm-none-eabi-as', 'arm-none-eabi-ld', 'arm-none-eabi-readelf'].filter((c) => !hasTool(c));
const kernel = missing.length ? undefined : await debianArmmpZImage();
const root = missing.length || typeof kernel !== 'string' ? undefined : await debianArmhfRoot();
const skip = missing.length ? `missing ${missing.join(', ')} (apt-get install qemu-system-arm binutils-arm-none-eabi)`
  : typeof kernel === 'object' ? kernel.skip : typeof root === 'object' ? root.skip : undefined;
if (skip) skipped('kexec-qemu', skip);

/** Stage 1's /init: print kexec-tools' plan with and without --image-size, then boot kernel 2 with it. */
function stage1Init(imageSize: number): string {
  const load = (extra: string) =>
    `kexec -d -l ${extra}/boot/zImage --initrd=/boot/initrd2.cpio.gz --append="${APPEND_2}" 2>&1 || { echo "kexec -l failed"; exec sh; }`;
  return [
    '#!/bin/sh',
    'export PATH=/sbin:/bin',
    'mount -t proc proc /proc',
    'mount -t sysfs sysfs /sys',
    'mount -t devtmpfs devtmpfs /dev',
    'echo "== kexec-tools default"',
    load(''),
    'kexec -u',
    'echo "== kexec-tools with --image-size"',
    load(`--image-size=0x${imageSize.toString(16)} `),
    'kexec -e',
    'echo "kexec -e failed"',
    '',
  ].join('\n');
}

/** The segment table kexec -d printed after a heading. */
function kexecToolsSegments(log: string, heading: string): { mem: number; memsz: number; bufsz: number }[] {
  const part = log.slice(log.indexOf(heading));
  const table = part.slice(0, part.indexOf('\n==', 1) > 0 ? part.indexOf('\n==', 1) : undefined);
  const field = (name: string) => [...table.matchAll(new RegExp(`segment\\[(\\d+)\\]\\.${name}\\s*=\\s*0x([0-9a-f]+)`, 'g'))].map((m) => parseInt(m[2]!, 16));
  const mem = field('mem');
  const memsz = field('memsz');
  const bufsz = field('bufsz');
  return mem.map((m, i) => ({ mem: m, memsz: memsz[i]!, bufsz: bufsz[i]! }));
}

const ours = (plan: KexecPlan) => plan.segments.map((s) => ({ mem: s.mem, memsz: s.memsz, bufsz: s.bufsz }));

describe.skipIf(skip !== undefined)(`a kexec bootloader from uimg's kit boots a second kernel in QEMU${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir = '';
  let log = '';
  let defaultPlan: KexecPlan;
  let fixedPlan: KexecPlan;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uimg-kexec-qemu-'));
    const rootDir = root as string;
    // Kernel 2's initramfs: the marker /init of the initramfs test.
    execFileSync('arm-none-eabi-as', ['-march=armv7-a', '-o', 'init.o', join(HERE, 'init-arm.S')], { cwd: dir });
    execFileSync('arm-none-eabi-ld', ['-static', '-o', 'hello', 'init.o'], { cwd: dir });
    writeFileSync(join(dir, 'initrd2.list'), 'dir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\nfile /init hello 0755 0 0\n');
    expect(runOurs('uimg', ['cpio', '--list', 'initrd2.list', '--gzip', '-o', 'initrd2.cpio.gz'], dir, { SOURCE_DATE_EPOCH: '0' }).status).toBe(0);

    // Stage 1: the kit's list (busybox, its applets, kexec and its libraries) plus kernel 2 and its initramfs.
    const libs = neededLibraries(rootDir, 'sbin/kexec');
    if ('missing' in libs) throw new Error(`kexec needs ${libs.missing}, which the armhf packages do not hold`);
    const specs: CpioSpec[] = kexecCpioSpecs({
      arch: 'arm', entry: { label: 'test', kernel: '/boot/zImage', append: '' }, media: ['/dev/vda'], waitSeconds: 1,
      files: {
        init: 'init', busybox: join(rootDir, 'bin/busybox'), kexec: join(rootDir, 'sbin/kexec'),
        libs: [...libs.map((l) => ({ name: `/${l.path}`, location: join(rootDir, l.path) })),
          { name: '/lib/ld-linux-armhf.so.3', location: join(rootDir, 'lib/arm-linux-gnueabihf/ld-linux-armhf.so.3') }],
      },
    });
    specs.push({ kind: 'dir', name: '/boot', mode: 0o755, uid: 0, gid: 0 },
      { kind: 'file', name: '/boot/zImage', location: kernel as string, mode: 0o644, uid: 0, gid: 0, links: [] },
      { kind: 'file', name: '/boot/initrd2.cpio.gz', location: 'initrd2.cpio.gz', mode: 0o644, uid: 0, gid: 0, links: [] });

    // The DTB kernel 1 gets (QEMU writes it, with /chosen filled in) and its size for the plans.
    writeFileSync(join(dir, 'init'), stage1Init(0)); // placeholder of the same length class; the DTB does not depend on it
    writeFileSync(join(dir, 'stage1.list'), formatCpioList(specs));
    const build = () => expect(runOurs('uimg', ['cpio', '--list', 'stage1.list', '--gzip', '-o', 'stage1.cpio.gz'], dir, { SOURCE_DATE_EPOCH: '0' }).status).toBe(0);
    build();
    const qemuArgs = ['-kernel', kernel as string, '-initrd', join(dir, 'stage1.cpio.gz'), '-append', APPEND_1];
    execFileSync(QEMU, [...MACHINE.map((a) => (a === 'virt' ? `virt,dumpdtb=${join(dir, 'virt.dtb')}` : a)), ...qemuArgs, '-nic', 'none', '-display', 'none']);
    const plan = (imageSize?: number) => planKexec({
      kernel: fromBytes(new Uint8Array(readFileSync(kernel as string))), dtb: new Uint8Array(readFileSync(join(dir, 'virt.dtb'))),
      initrd: { size: readFileSync(join(dir, 'initrd2.cpio.gz')).length }, cmdline: APPEND_2, ram: RAM, ...(imageSize ? { imageSize } : {}),
    });
    defaultPlan = await plan();
    const hint = defaultPlan.findings.find((f) => f.rule === 'kexec-decompress-overlap')?.hint ?? '';
    const imageSize = Number(/--image-size (0x[0-9a-f]+)/.exec(hint)?.[1] ?? 0);
    fixedPlan = await plan(imageSize);

    writeFileSync(join(dir, 'init'), stage1Init(imageSize));
    build();
    const r = await runQemu({
      binary: QEMU, args: [...MACHINE, ...qemuArgs], logFile: join(dir, 'serial.log'),
      expect: new RegExp(`${MARKER}[\\s\\S]*reboot: Power down`), fail: /kexec -[le] failed|Kernel panic/, deadlineMs: 150_000,
    });
    log = r.log;
  }, 400_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('uimg kexec plan warns that the default placement puts the initrd and DTB where kernel 2 decompresses', () => {
    expect(defaultPlan.findings.map((f) => f.rule)).toEqual(['kexec-decompress-overlap', 'kexec-decompress-overlap']);
    expect(fixedPlan.findings).toEqual([]);
  });

  it('kexec-tools, run by our /init in kernel 1, places the segments exactly as uimg kexec plan says', () => {
    expect(log).toMatch(/== kexec-tools default/);
    expect(kexecToolsSegments(log, '== kexec-tools default')).toEqual(ours(defaultPlan));
    expect(kexecToolsSegments(log, '== kexec-tools with --image-size')).toEqual(ours(fixedPlan));
  });

  it('kernel 2 boots from the kexec, unpacks its initramfs and runs its /init', () => {
    expect(log).toMatch(/kexec_core: Starting new kernel/);
    const second = log.slice(log.indexOf('Starting new kernel'));
    expect(second).toMatch(/Booting Linux on physical CPU/);
    expect(second).toMatch(/Kernel command line: .*uimg-kernel-2/);
    expect(second).not.toMatch(/Initramfs unpacking failed/);
    expect(second).toContain(MARKER);
  });
});
