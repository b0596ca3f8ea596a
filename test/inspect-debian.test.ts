/**
 * Acceptance: `uimg inspect --json --deep` on the real Debian 12 kernels, a uImage made from the armhf one, an
 * Image.gz and a zImage with an appended DTB derived from them. Every expected value is computed here from the raw
 * bytes (Buffer reads), `xz -dc`, `gzip` and `mkimage`, independently of uimg's decoders.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { debianAmd64BzImage, debianArm64Image, debianArmmpZImage, debianVexpressDtb } from './debian-files.js';
import { BIN, hasTool, tempDir } from './helpers.js';
import { skipTest } from './skip.js';

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

function run(cmd: string, args: string[], input?: Uint8Array) {
  return spawnSync(cmd, args, { input, maxBuffer: 1 << 28 });
}

/** The final banner: "Linux version <digit>..." with a build number ("#1"), as `strings | grep` would show it. */
function bannerOf(bytes: Buffer): string | undefined {
  const lines = bytes.toString('latin1').match(/Linux version \d[^\n\0]*/g) ?? [];
  return lines.find((l) => /\) #\d+/.test(l)) ?? lines.at(-1);
}

interface NodeJson { name: string; format: string; offset: number; length: number; fields: Record<string, any>; banner?: string; children: NodeJson[]; findings: { rule: string; severity: string }[] }
interface FileJson { file: string; size: number; format: string; root: NodeJson; loaders: { loader: string; accepts: boolean | null; how?: string }[]; counts: Record<string, number> }

const child = (n: NodeJson, name: string) => {
  const c = n.children.find((x) => x.name === name);
  if (!c) throw new Error(`${n.format} has no part ${name}: ${n.children.map((x) => x.name).join(', ')}`);
  return c;
};

describe('inspect on Debian 12 kernels', () => {
  const paths: Record<string, string> = {};
  let skip: string | undefined;
  let out: Record<string, FileJson> = {};
  const dir = tempDir('uimg-inspect-debian-');

  beforeAll(async () => {
    const files = { armmp: await debianArmmpZImage(), arm64: await debianArm64Image(), amd64: await debianAmd64BzImage(), dtb: await debianVexpressDtb() };
    for (const [k, v] of Object.entries(files)) {
      if (typeof v !== 'string') skip = v.skip;
      else paths[k] = v;
    }
    const tools = ['xz', 'gzip'].filter((t) => !hasTool(t));
    if (tools.length) skip ??= `missing ${tools.join(', ')}`;
    if (skip) {
      console.warn(`inspect-debian: skipped: ${skip}`);
      return;
    }
    paths.uimage = join(dir, 'uImage');
    const mkimage = hasTool('mkimage') ? 'mkimage' : BIN('mkimage');
    const made = run(mkimage === 'mkimage' ? 'mkimage' : process.execPath, [...(mkimage === 'mkimage' ? [] : [mkimage]),
      '-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', 'none', '-a', '0x80008000', '-e', '0x80008000', '-n', 'Debian armmp', '-d', paths.armmp!, paths.uimage]);
    expect(made.status).toBe(0);
    paths.imagegz = join(dir, 'Image.gz');
    writeFileSync(paths.imagegz, run('gzip', ['-9', '-n', '-c', paths.arm64!]).stdout);
    paths.zdtb = join(dir, 'zImage-dtb');
    writeFileSync(paths.zdtb, Buffer.concat([readFileSync(paths.armmp!), readFileSync(paths.dtb!)]));
    const names = ['armmp', 'arm64', 'amd64', 'uimage', 'imagegz', 'zdtb'];
    const r = run(process.execPath, [BIN('uimg'), 'inspect', '--json', '--deep', ...names.map((n) => paths[n]!)]);
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout.toString());
    expect(json).toMatchObject({ schemaVersion: 1, ok: true });
    out = Object.fromEntries(names.map((n, i) => [n, json.files[i]]));
  }, 240_000);

  it('armhf armmp zImage (xz): header, size tag, payload offset, decompressed size and banner', (ctx) => {
    if (skip) return skipTest(ctx, 'inspect-debian', skip);
    const b = readFileSync(paths.armmp!);
    const table = b.readUInt32LE(0x38);
    const sizePtr = b.readUInt32LE(table + 8);
    // The payload is the first xz magic after the table that xz itself decompresses (earlier ones are decoys).
    let payloadAt = -1;
    let kernel = Buffer.alloc(0);
    for (let at = b.indexOf(XZ_MAGIC, table); at >= 0; at = b.indexOf(XZ_MAGIC, at + 1)) {
      const x = run('xz', ['-dc'], b.subarray(at, sizePtr));
      if (x.status === 0) {
        payloadAt = at;
        kernel = x.stdout;
        break;
      }
    }
    const z = out.armmp!.root;
    expect(z.format).toBe('zimage-arm');
    expect(z.fields).toMatchObject({
      endianness: 'little', efiStub: b.subarray(0, 2).toString() === 'MZ', start: b.readUInt32LE(0x28), end: b.readUInt32LE(0x2c),
      endianFlag: b.readUInt32LE(0x30), tableOffset: table, length: b.readUInt32LE(0x2c) - b.readUInt32LE(0x28),
      kernelSize: { sizeOffset: sizePtr, decompressedSize: b.readUInt32LE(sizePtr), bssSize: b.readUInt32LE(table + 12), textOffset: b.readUInt32LE(table + 16), mallocSize: b.readUInt32LE(table + 20) },
    });
    const payload = child(z, 'payload');
    expect(payload).toMatchObject({ format: 'xz', offset: payloadAt, length: sizePtr - payloadAt });
    expect(payload.fields).toMatchObject({ uncompressedSize: b.readUInt32LE(sizePtr), decompressedSize: kernel.length });
    expect(kernel.length).toBe(b.readUInt32LE(sizePtr));
    expect(child(payload, 'decompressed').banner).toBe(bannerOf(kernel));
    expect(bannerOf(kernel)).toMatch(/^Linux version 6\.1\.\d+-\d+-armmp .* #1 SMP/);
    expect(out.armmp!.loaders.map((l) => [l.loader, l.accepts])).toEqual([['U-Boot', true], ['kexec-tools', true], ['AT91Bootstrap', true]]);
    expect(out.armmp!.counts.error).toBe(0);
  });

  it('arm64 Image: header fields and banner', (ctx) => {
    if (skip) return skipTest(ctx, 'inspect-debian', skip);
    const b = readFileSync(paths.arm64!);
    const r = out.arm64!.root;
    expect(r.format).toBe('image-arm64');
    expect(r.fields).toMatchObject({
      code0: b.readUInt32LE(0), code1: b.readUInt32LE(4), textOffset: Number(b.readBigUInt64LE(8)), imageSize: Number(b.readBigUInt64LE(16)),
      flags: Number(b.readBigUInt64LE(24)), magic: b.readUInt32LE(0x38), efiStub: true, peHeaderOffset: b.readUInt32LE(0x3c),
    });
    expect(r.fields.imageSizeHex).toBe('0x' + b.readBigUInt64LE(16).toString(16).padStart(8, '0'));
    expect(r.banner).toBe(bannerOf(b));
    expect(r.banner).toMatch(/^Linux version 6\.1\.\d+-\d+-arm64 /);
  });

  it('amd64 bzImage (xz): setup header, version string, payload and its ELF', (ctx) => {
    if (skip) return skipTest(ctx, 'inspect-debian', skip);
    const b = readFileSync(paths.amd64!);
    const pm = ((b[0x1f1]! || 4) + 1) * 512;
    const versionAt = b.readUInt16LE(0x20e) + 0x200;
    const po = b.readUInt32LE(0x248);
    const pl = b.readUInt32LE(0x24c);
    const elf = run('xz', ['-dc'], b.subarray(pm + po, pm + po + pl - 4)).stdout;
    const r = out.amd64!.root;
    expect(r.format).toBe('bzimage');
    expect(r.fields).toMatchObject({
      setupSects: b[0x1f1], protectedModeOffset: pm, protocol: { raw: b.readUInt16LE(0x206) },
      kernelVersion: b.subarray(versionAt, b.indexOf(0, versionAt)).toString(), loadflags: { raw: b[0x211] },
      payloadOffset: po, payloadLength: pl, payloadFileOffset: pm + po, prefAddress: Number(b.readBigUInt64LE(0x258)),
      initSize: b.readUInt32LE(0x260), kernelAlignment: b.readUInt32LE(0x230), relocatable: b[0x234] === 1,
    });
    const payload = child(r, 'payload');
    expect(payload).toMatchObject({ format: 'xz', offset: pm + po, length: pl });
    expect(payload.fields).toMatchObject({ uncompressedSize: b.readUInt32LE(pm + po + pl - 4), decompressedSize: elf.length });
    expect(elf.length).toBe(b.readUInt32LE(pm + po + pl - 4));
    const vmlinux = child(payload, 'decompressed');
    expect(vmlinux).toMatchObject({ format: 'elf', fields: { machine: elf.readUInt16LE(0x12), entry: Number(elf.readBigUInt64LE(0x18)) } });
    expect(vmlinux.banner).toBe(bannerOf(elf));
  });

  it('a uImage made from the armhf zImage shows the header, then the zImage, then its payload', (ctx) => {
    if (skip) return skipTest(ctx, 'inspect-debian', skip);
    const u = readFileSync(paths.uimage!);
    const z = readFileSync(paths.armmp!);
    const r = out.uimage!.root;
    expect(r.format).toBe('uimage');
    expect(r.fields.header).toMatchObject({
      magic: u.readUInt32BE(0), dataSize: u.readUInt32BE(12), load: u.readUInt32BE(16), loadHex: '0x80008000', entry: u.readUInt32BE(20),
      dataCrc: u.readUInt32BE(24), arch: { id: u[29], name: 'arm' }, compression: { id: 0, name: 'none' }, name: 'Debian armmp',
    });
    expect(r.fields).toMatchObject({ headerCrcOk: true, dataCrcOk: true, trailingBytes: 0 });
    const zimage = child(r, 'payload');
    expect(zimage).toMatchObject({ format: 'zimage-arm', offset: 64, length: z.length });
    const xz = child(zimage, 'payload');
    const armmpPayload = child(out.armmp!.root, 'payload');
    expect(xz).toMatchObject({ format: 'xz', offset: 64 + armmpPayload.offset, length: armmpPayload.length });
    expect(child(xz, 'decompressed').banner).toBe(child(armmpPayload, 'decompressed').banner);
    // Debian's usual LOADADDR 0x80008000 is where this kernel decompresses: the zImage has to move itself first.
    expect(zimage.findings.map((f) => f.rule)).toEqual(['zimage-overlap']);
    expect(out.uimage!.loaders.map((l) => l.how)).toEqual(['bootm', 'uImage', 'uImage']);
  });

  it('an Image.gz made from the arm64 Image: ISIZE, then the Image inside', (ctx) => {
    if (skip) return skipTest(ctx, 'inspect-debian', skip);
    const gz = readFileSync(paths.imagegz!);
    const r = out.imagegz!.root;
    expect(r).toMatchObject({ format: 'gzip', fields: { uncompressedSize: gz.readUInt32LE(gz.length - 4), decompressedSize: readFileSync(paths.arm64!).length } });
    const image = child(r, 'decompressed');
    expect(image.format).toBe('image-arm64');
    expect(image.banner).toBe(out.arm64!.root.banner);
    expect(out.imagegz!.loaders.map((l) => [l.loader, l.accepts, l.how])).toEqual([['U-Boot', true, 'booti'], ['kexec-tools', true, 'Image (gzip compressed)']]);
    // 32 MB unpacked is more than the 8 MiB BOOTM_LEN booti decompresses into by default.
    expect(r.findings.map((f) => f.rule)).toEqual(['bootm-len']);
  });

  it('a zImage with an appended DTB: the DTB at end - start, read as a device tree', (ctx) => {
    if (skip) return skipTest(ctx, 'inspect-debian', skip);
    const z = readFileSync(paths.armmp!);
    const dtb = readFileSync(paths.dtb!);
    const r = out.zdtb!.root;
    expect(r.fields.appendedDtb).toEqual({ offset: z.readUInt32LE(0x2c), offsetHex: '0x' + z.readUInt32LE(0x2c).toString(16).padStart(8, '0'), totalSize: dtb.readUInt32BE(4) });
    const fdt = child(r, 'appended DTB');
    expect(fdt).toMatchObject({ format: 'fdt', offset: z.length, length: dtb.length });
    const model = /model = "([^"]*)"/.exec(hasTool('dtc') ? run('dtc', ['-I', 'dtb', '-O', 'dts', paths.dtb!]).stdout.toString() : '')?.[1];
    if (model) expect(fdt.fields.model).toBe(model);
    expect(r.findings).toEqual([]);
  });
});
