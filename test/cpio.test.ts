// cpio newc: byte-for-byte against the kernel's gen_init_cpio (golden files), read back by GNU cpio and bsdcpio,
// their archives read by us, the reader's findings and errors, and safe extraction.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, linkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gunzip } from '../src/formats/compressed/gzip.js';
import { concatBytes, fromBytes, memorySink } from '../src/bytes/source.js';
import { UimgError } from '../src/errors.js';
import { formatCpioList, parseCpioList, type CpioSpec } from '../src/formats/cpio/list.js';
import { decodeNewcHeader, encodeNewcHeader } from '../src/formats/cpio/newc.js';
import { readCpio, walkInitramfs } from '../src/formats/cpio/read.js';
import { writeCpio } from '../src/formats/cpio/write.js';
import { FORMATS, PROBE_BYTES, probeFormat } from '../src/formats/registry.js';
import { gzipSync } from 'node:zlib';
import { FIXTURES, hasTool, runOurs, tempDir } from './helpers.js';
import { skipUnless } from './skip.js';

const CPIO = join(FIXTURES, 'cpio');
const golden = (name: string) => new Uint8Array(readFileSync(join(CPIO, name)));
const dir = tempDir('uimg-cpio-');
const uimg = (args: string[], cwd = dir, env: Record<string, string> = {}, input?: Uint8Array) => runOurs('uimg', args, cwd, env, input);
const enc = (s: string) => new TextEncoder().encode(s);

/** An archive in memory from a list, file data from a name → bytes map. */
async function build(list: string, files: Record<string, string | Uint8Array> = {}, opts: { mtime?: number; format?: 'newc' | 'crc' } = {}) {
  const sink = memorySink();
  await writeCpio(parseCpioList(list), async (s) => {
    const data = files[s.location];
    if (data === undefined) throw new Error(`no test data for ${s.location}`);
    return { content: fromBytes(typeof data === 'string' ? enc(data) : data) };
  }, sink, { mtime: opts.mtime ?? 0, format: opts.format ?? 'newc' });
  return sink.bytes();
}

const names = async (file: string) => (await readCpio(fromBytes(new Uint8Array(readFileSync(file))))).entries.map((e) => e.name);
const rules = async (archive: Uint8Array) => (await readCpio(fromBytes(archive))).findings.map((f) => f.rule);

async function caught(p: Promise<unknown>): Promise<UimgError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof UimgError) return e;
    throw e;
  }
  throw new Error('expected a UimgError');
}

describe('golden archives from the kernel\'s gen_init_cpio (fixtures/cpio/PROVENANCE.md)', () => {
  it.each([
    ['sample.cpio', 'sample.list', ['--mtime', '1700000000']],
    ['sample-crc.cpio', 'sample.list', ['--mtime', '1700000000', '-c']],
    ['default.cpio', 'default.list', ['--mtime', '0']],
  ])('uimg cpio remakes %s byte for byte', (expected, list, flags) => {
    const out = join(dir, `remade-${expected}`);
    const r = uimg(['cpio', '--list', list, ...flags, '-o', out, '-q'], CPIO);
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    expect(new Uint8Array(readFileSync(out))).toEqual(golden(expected));
  });

  it('takes the mtime from SOURCE_DATE_EPOCH when --mtime is not given', () => {
    const out = join(dir, 'sde.cpio');
    expect(uimg(['cpio', '--list', 'sample.list', '-o', out], CPIO, { SOURCE_DATE_EPOCH: '1700000000' }).status).toBe(0);
    expect(new Uint8Array(readFileSync(out))).toEqual(golden('sample.cpio'));
  });

  it('reads every entry type back with gen_init_cpio\'s conventions', async () => {
    const listing = await readCpio(fromBytes(golden('sample-crc.cpio')));
    expect(listing.findings.map((f) => f.rule)).toEqual([]);
    const by = new Map(listing.entries.map((e) => [e.name, e]));
    expect([...by.keys()]).toEqual(['dev', 'dev/console', 'dev/mmcblk0', 'root', 'bin', 'etc', 'init', 'etc/hello', 'etc/hello2',
      'root/hello3', 'a', 'ab', 'bin/sh', 'sbin', 'run-fifo', 'run-sock']);
    expect(by.get('dev/console')).toMatchObject({ type: 'chr', rdevMajor: 5, rdevMinor: 1, mode: 0o20600, nlink: 1 });
    expect(by.get('dev/mmcblk0')).toMatchObject({ type: 'blk', rdevMajor: 179, rdevMinor: 0, gid: 6 });
    expect(by.get('dev')).toMatchObject({ type: 'dir', nlink: 2, ino: 721, devMajor: 3, devMinor: 1, mtime: 1700000000 });
    // One inode for the three names; the data rides on the last.
    const links = ['etc/hello', 'etc/hello2', 'root/hello3'].map((n) => by.get(n)!);
    expect(new Set(links.map((e) => e.ino)).size).toBe(1);
    expect(links.map((e) => [e.nlink, e.fileSize, e.uid, e.gid])).toEqual([[3, 0, 1000, 100], [3, 0, 1000, 100], [3, 26, 1000, 100]]);
    expect(by.get('bin/sh')).toMatchObject({ type: 'lnk', target: 'busybox', fileSize: 8 }); // target + NUL
    expect(by.get('run-fifo')!.type).toBe('fifo');
    expect(by.get('run-sock')!.type).toBe('sock');
    expect(by.get('init')!.check).toBe([...readFileSync(join(CPIO, 'files/init.sh'))].reduce((a, b) => a + b, 0));
  });

  it('gzips reproducibly: the same bytes every run, and gzip -d gives the plain archive', async () => {
    const a = join(dir, 'g1.cpio.gz');
    const b = join(dir, 'g2.cpio.gz');
    for (const out of [a, b]) expect(uimg(['cpio', '--list', 'sample.list', '--mtime', '1700000000', '--gzip', '-o', out, '-q'], CPIO).status).toBe(0);
    expect(readFileSync(a)).toEqual(readFileSync(b));
    const chunks: Uint8Array[] = [];
    for await (const c of gunzip(fromBytes(new Uint8Array(readFileSync(a))).chunks(0, Infinity, 7))) chunks.push(c);
    expect(concatBytes(chunks)).toEqual(golden('sample.cpio'));
    if (hasTool('gzip')) expect(spawnSync('gzip', ['-dc', a]).stdout).toEqual(Buffer.from(golden('sample.cpio')));
  });
});

describe('the list format', () => {
  it('names the line and the field of a mistake', () => {
    const cases: [string, RegExp][] = [
      ['dir /dev 0755 0 0\nfiel /x y 0644 0 0\n', /list:2: unknown entry type 'fiel'/],
      ['dir /dev 0855 0 0\n', /list:1: mode '0855' is not octal/],
      ['nod /dev/x 0600 0 0 x 1 2\n', /device 'x' is not 'b'/],
      ['dir /dev 0755 0\n', /dir takes 4 fields, found 3/],
      ['dir /dev 0755 0 0 extra\n', /dir takes 4 fields, found 5/],
      ['file /x loc 0644 -1 0\n', /uid '-1' is not a decimal/],
      ['dir / 0755 0 0\n', /a path below the root/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseCpioList(text)).toThrow(message);
      try {
        parseCpioList(text);
      } catch (e) {
        expect((e as UimgError).code).toBe('MALFORMED');
      }
    }
  });

  it('skips comments, blank lines and trailing comments; keeps hard links and CRLF lists', () => {
    const specs = parseCpioList('# c\n\n  \ndir /d 0755 0 0 # the dir\r\nfile /f loc 0644 1 2 /g /h\r\n');
    expect(specs).toEqual([
      { kind: 'dir', name: '/d', mode: 0o755, uid: 0, gid: 0 },
      { kind: 'file', name: '/f', location: 'loc', mode: 0o644, uid: 1, gid: 2, links: ['/g', '/h'] },
    ]);
  });

  it('formats specs back into the same list', () => {
    const text = readFileSync(join(CPIO, 'sample.list'), 'utf8');
    const specs = parseCpioList(text);
    expect(parseCpioList(formatCpioList(specs))).toEqual(specs);
    expect(() => formatCpioList([{ kind: 'dir', name: '/a b', mode: 0o755, uid: 0, gid: 0 }])).toThrow(/cannot be written/);
  });
});

describe('reader: errors and findings', () => {
  const base = 'dir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\nfile /init init 0755 0 0\n';
  const files = { init: '#!/bin/sh\n' };

  it('refuses what is not newc, with a hint for odc and compressed data', async () => {
    expect((await caught(readCpio(fromBytes(enc('070707' + '0'.repeat(200)))))).hint).toMatch(/odc/);
    expect((await caught(readCpio(fromBytes(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 1, 2]))))).message).toMatch(/xz-compressed/);
    const e = await caught(readCpio(fromBytes(enc('hello world, not an archive'))));
    expect(e.code).toBe('BAD_MAGIC');
  });

  it('reports a damaged header field with its offset', async () => {
    const a = await build(base, files);
    a[6 + 8 * 1 + 3] = 0x47; // 'G' in the mode field of the first header
    const e = await caught(readCpio(fromBytes(a)));
    expect(e.code).toBe('MALFORMED');
    expect(e.message).toMatch(/field mode is not 8 hex digits/);
  });

  it('calls every cut short archive truncated (a cut at an entry boundary: no trailer), and never hangs', async () => {
    const a = await build(base, files);
    const trailer = Buffer.from(a).indexOf('TRAILER!!!') - 110;
    for (let cut = 1; cut < a.length; cut++) {
      const result = await readCpio(fromBytes(a.subarray(0, cut))).catch((e: UimgError) => e);
      if (result instanceof UimgError) expect(result.code).toBe('TRUNCATED');
      else if (cut <= trailer) expect(result.findings.map((f) => f.rule)).toContain('cpio-no-trailer');
      else expect(result.findings).toEqual([]);
    }
  });

  it('bounds the name size before reading it', async () => {
    const h = encodeNewcHeader({ ...decodeNewcHeader(await build(base, files)), nameSize: 0x7fffffff });
    const e = await caught(readCpio(fromBytes(h)));
    expect(e.code).toBe('SIZE_LIMIT');
  });

  it('cpio-checksum: fires on a changed data byte of a crc archive, quiet otherwise', async () => {
    const a = await build(base, files, { format: 'crc' });
    expect(await rules(a)).toEqual([]);
    const at = Buffer.from(a).indexOf('#!/bin/sh');
    a[at] = 0x40;
    expect(await rules(a)).toEqual(['cpio-checksum']);
  });

  it('cpio-no-trailer: fires when the trailer is missing, quiet otherwise', async () => {
    const a = await build(base, files);
    const trailer = Buffer.from(a).indexOf('070701000000000000000000');
    expect(await rules(a.subarray(0, trailer))).toEqual(['cpio-no-trailer']);
    expect(await rules(a)).toEqual([]);
  });

  it('cpio-trailing-data: fires on junk after the last archive; padding and further archives are fine', async () => {
    const a = await build(base, files);
    expect(await rules(concatBytes([a, new Uint8Array(512), a]))).toContain('cpio-duplicate-name');
    expect(await rules(concatBytes([a, new Uint8Array(512), a]))).not.toContain('cpio-trailing-data');
    expect(await rules(concatBytes([a, enc('junk')]))).toEqual(['cpio-trailing-data']);
  });

  it('cpio-unsafe-name and cpio-duplicate-name: fire on such names, quiet on normal ones', async () => {
    const a = await build(`${base}file ../../etc/x init 0644 0 0\nfile /init init 0755 0 0\n`, files);
    expect((await rules(a)).sort()).toEqual(['cpio-duplicate-name', 'cpio-unsafe-name']);
    expect(await rules(await build(base, files))).toEqual([]);
  });

  it('cpio-no-init: fires for an archive without /init (early microcode, say), quiet with one', async () => {
    expect(await rules(await build('dir /kernel 0755 0 0\n'))).toEqual(['cpio-no-init']);
    expect(await rules(await build(base, files))).toEqual([]);
  });

  it('reads a raw archive followed by a gzip-compressed one, as the kernel does (microcode + initramfs)', async () => {
    const raw = await build('dir /kernel 0755 0 0\n');
    const gz = readFileSync(join(dir, 'g1.cpio.gz'));
    const listing = await readCpio(fromBytes(concatBytes([raw, new Uint8Array(gz)])));
    expect(listing.segments).toEqual([{ offset: 0, compression: 'none', archives: 1 }, { offset: 512, compression: 'gzip', archives: 1 }]);
    expect(listing.entries[0]!.name).toBe('kernel');
    expect(listing.entries.at(-1)!.name).toBe('run-sock');
  });

  it('calls a cut gzip stream truncated and corrupt gzip a corrupt stream (the codec\'s errors)', async () => {
    const gz = new Uint8Array(readFileSync(join(dir, 'g1.cpio.gz')));
    expect((await caught(readCpio(fromBytes(gz.subarray(0, gz.length - 20))))).code).toBe('TRUNCATED');
    const bad = gz.slice();
    bad[40] ^= 0xff;
    expect((await caught(readCpio(fromBytes(bad)))).code).toMatch(/CORRUPT_STREAM|TRUNCATED/);
  });

  it('gunzip: members, padding between them and junk after them, wherever the chunks split', async () => {
    const a = new Uint8Array(gzipSync(Buffer.from('hello '))), b = new Uint8Array(gzipSync(Buffer.from('world')));
    const run = async (bytes: Uint8Array, size: number) => {
      let text = '';
      for await (const c of gunzip(fromBytes(bytes).chunks(0, Infinity, size))) text += Buffer.from(c).toString();
      return text;
    };
    const padded = concatBytes([a, new Uint8Array(9), b, new Uint8Array(3)]);
    const junk = concatBytes([a, new Uint8Array(4), new TextEncoder().encode('junk')]);
    for (const size of [1, 7, a.length, 4096]) {
      expect(await run(padded, size)).toBe('hello world');
      expect(await caught(run(junk, size))).toMatchObject({ code: 'MALFORMED', data: { offset: a.length + 4 } });
    }
  });
});

describe('the cpio format module (uimg inspect)', () => {
  const probe = (b: Uint8Array) => probeFormat(b.subarray(0, PROBE_BYTES), b.length)?.id;

  it('recognises newc, crc and gzip\'d archives, and leaves other gzip data to the compressed-stream module', () => {
    expect(probe(golden('sample.cpio'))).toBe('cpio');
    expect(probe(golden('sample-crc.cpio'))).toBe('cpio');
    expect(probe(new Uint8Array(gzipSync(golden('sample.cpio'))))).toBe('cpio');
    expect(probe(new Uint8Array(readFileSync(join(dir, 'g1.cpio.gz'))))).toBe('cpio');
    expect(probe(new Uint8Array(gzipSync(Buffer.from('not an archive'.repeat(100)))))).toBe('compressed');
    expect(FORMATS.findIndex((f) => f.id === 'cpio')).toBeLessThan(FORMATS.findIndex((f) => f.id === 'compressed'));
  });

  it('summarises rather than lists, with the reader\'s findings', async () => {
    const cpio = FORMATS.find((f) => f.id === 'cpio')!;
    const d = await cpio.decode(fromBytes(new Uint8Array(gzipSync(golden('sample-crc.cpio')))));
    expect(d.summary).toBe('cpio initramfs (crc, gzip-compressed): 16 entries, /init');
    expect(d.value).toMatchObject({ format: 'crc', compression: 'gzip', entries: 16, files: 6, directories: 4, symlinks: 2, devices: 2, dataBytes: 64 + 26 + 1, init: true });
    expect(d.findings).toEqual([]);
  });

  it('uimg inspect shows it', () => {
    const r = uimg(['inspect', join(CPIO, 'default.cpio')]);
    expect(r.stdout.toString()).toMatch(/cpio initramfs \(newc\): 3 entries/);
    expect(r.stdout.toString()).toMatch(/cpio-no-init/);
  });
});

describe('round trip (property)', () => {
  const name = fc.stringMatching(/^[a-z0-9._-]{1,12}(\/[a-z0-9._-]{1,12}){0,2}$/).filter((n) => !n.split('/').includes('..') && !n.split('/').includes('.'));
  const spec = fc.oneof(
    fc.record({ kind: fc.constant('dir' as const), name, mode: fc.integer({ min: 0, max: 0o7777 }), uid: fc.nat(70000), gid: fc.nat(70000) }),
    fc.record({ kind: fc.constant('slink' as const), name, target: name, mode: fc.constant(0o777), uid: fc.nat(9), gid: fc.nat(9) }),
    fc.record({ kind: fc.constant('file' as const), name, location: fc.constantFrom('a', 'b', 'c'), mode: fc.integer({ min: 0, max: 0o777 }), uid: fc.nat(9), gid: fc.nat(9), links: fc.array(name, { maxLength: 2 }) }),
    fc.record({ kind: fc.constant('nod' as const), name, mode: fc.constant(0o600), uid: fc.constant(0), gid: fc.constant(0), device: fc.constantFrom('b' as const, 'c' as const), major: fc.nat(4095), minor: fc.nat(1 << 20) }),
  );
  it('what is written is read back, entry for entry, whatever the chunking', async () => {
    await fc.assert(fc.asyncProperty(fc.array(spec, { maxLength: 8 }), fc.integer({ min: 1, max: 64 }), fc.boolean(), async (specs, chunk, crc) => {
      const data = { a: enc(''), b: enc('x'), c: new Uint8Array(1000).map((_, i) => i) };
      const sink = memorySink();
      await writeCpio(specs as CpioSpec[], async (s) => ({ content: fromBytes(data[s.location as 'a']) }), sink, { mtime: 5, format: crc ? 'crc' : 'newc' });
      const archive = sink.bytes();
      expect(archive.length % 512).toBe(0);
      const listing = await walkInitramfs(fromBytes(archive).chunks(0, archive.length, chunk));
      const expected = (specs as CpioSpec[]).flatMap((s) => (s.kind === 'file' ? [s.name, ...s.links] : [s.name]));
      expect(listing.entries.map((e) => e.name)).toEqual(expected);
      expect(listing.findings.filter((f) => f.rule === 'cpio-checksum')).toEqual([]);
    }), { numRuns: 150 });
  });
});

describe('uimg cpio --dir', () => {
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'bin'), { recursive: true });
  mkdirSync(join(tree, 'a-b'));
  writeFileSync(join(tree, 'init'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(tree, 'bin', 'busybox'), 'BUSYBOX');
  linkSync(join(tree, 'bin', 'busybox'), join(tree, 'bin', 'ls'));
  symlinkSync('busybox', join(tree, 'bin', 'sh'));
  writeFileSync(join(tree, 'a-b', 'x'), '');

  it('sorts by path in byte order, keeps hard links as one inode, and is reproducible with SOURCE_DATE_EPOCH', async () => {
    const env = { SOURCE_DATE_EPOCH: '1700000000' };
    expect(uimg(['cpio', '--dir', tree, '--owner', '0:0', '-o', 'd1.cpio'], dir, env).status).toBe(0);
    utimesSync(join(tree, 'init'), 1, 1); // a changed mtime must not change the archive
    expect(uimg(['cpio', '--dir', tree, '--owner', '0:0', '-o', 'd2.cpio'], dir, env).status).toBe(0);
    const a = new Uint8Array(readFileSync(join(dir, 'd1.cpio')));
    expect(a).toEqual(new Uint8Array(readFileSync(join(dir, 'd2.cpio'))));
    const listing = await readCpio(fromBytes(a));
    expect(listing.entries.map((e) => e.name)).toEqual(['a-b', 'a-b/x', 'bin', 'bin/busybox', 'bin/ls', 'bin/sh', 'init']);
    const [busybox, ls] = [listing.entries[3]!, listing.entries[4]!];
    expect([busybox.ino, busybox.nlink, busybox.fileSize, ls.nlink, ls.fileSize]).toEqual([ls.ino, 2, 0, 2, 7]);
    expect(listing.entries.every((e) => e.uid === 0 && e.gid === 0 && e.mtime === 1700000000)).toBe(true);
  });

  it('equals the archive of the equivalent gen_init_cpio list', () => {
    const list = [
      'dir /a-b 0755 0 0', 'file /a-b/x a-b/x 0644 0 0', 'dir /bin 0755 0 0', 'file /bin/busybox bin/busybox 0644 0 0 /bin/ls',
      'slink /bin/sh busybox 0777 0 0', 'file /init init 0755 0 0',
    ].join('\n');
    writeFileSync(join(tree, '..', 'tree.list'), list);
    expect(uimg(['cpio', '--list', '../tree.list', '--mtime', '7', '-o', '../l.cpio'], tree).status).toBe(0);
    expect(uimg(['cpio', '--dir', 'tree', '--owner', '0:0', '--mtime', '7', '-o', 'd.cpio'], dir).status).toBe(0);
    expect(readFileSync(join(dir, 'd.cpio'))).toEqual(readFileSync(join(dir, 'l.cpio')));
  });
});

describe('uimg cpio: the command line', () => {
  it.each([
    [['cpio', '-o', 'x.cpio'], 2, /say one of --list/],
    [['cpio', '--list', 'a', '--dir', 'b', '-o', 'x.cpio'], 2, /say one of/],
    [['cpio', '-t'], 2, /-t needs an ARCHIVE/],
    [['cpio', '--list', 'l.list'], 2, /needs -o OUT/],
    [['cpio', '--list', 'l.list', '--owner', 'root', '-o', 'x.cpio'], 2, /--owner: 'root' is not UID:GID/],
    [['cpio', '--list', 'l.list', '--mtime', '-5', '-o', 'x.cpio'], 2, /--mtime: '-5' is not a number of seconds cpio can store: expected whole seconds/],
    [['cpio', '--list', 'bad.list', '-o', 'x.cpio'], 4, /bad.list:2: unknown entry type 'fil'/],
    [['cpio', '--list', 'missing.list', '-o', 'x.cpio'], 3, /missing.list: cannot open/],
    [['cpio', '--list', 'dirloc.list', '-o', 'x.cpio'], 3, /not a regular file \(for \/d\)/],
    [['cpio', '-t', 'l.list'], 4, /not a cpio archive/],
  ])('%j exits %i', (args, code, message) => {
    writeFileSync(join(dir, 'l.list'), 'dir /d 0755 0 0\n');
    writeFileSync(join(dir, 'bad.list'), 'dir /d 0755 0 0\nfil /x y 0644 0 0\n');
    writeFileSync(join(dir, 'dirloc.list'), `file /d ${dir} 0644 0 0\n`);
    const r = uimg(args);
    expect(r.stderr.toString()).toMatch(message);
    expect(r.status).toBe(code);
    expect(existsSync(join(dir, 'x.cpio'))).toBe(false);
  });

  it('follows symbolic links to file data (as gen_init_cpio), writes to stdout with -o -, reads stdin with -t -', () => {
    symlinkSync(join(CPIO, 'files/hello.txt'), join(dir, 'hello-link'));
    writeFileSync(join(dir, 'link.list'), 'file /hello hello-link 0644 0 0\n');
    const r = uimg(['cpio', '--list', 'link.list', '--mtime', '0', '-o', '-']);
    expect(r.status).toBe(0);
    const t = uimg(['cpio', '-t', '-'], dir, {}, r.stdout);
    expect(t.stdout.toString()).toMatch(/^-rw-r--r-- 1 0\/0 26 hello$/m);
  });
});

describe('extraction', () => {
  const sample = join(CPIO, 'sample.cpio');

  it('extracts files, directories, symlinks and hard links; skips device nodes with a warning', () => {
    const out = join(dir, 'x1');
    const r = uimg(['cpio', '-x', sample, '-C', out]);
    expect(r.status).toBe(0);
    expect(r.stderr.toString()).toMatch(/skipped dev\/console: a chr/);
    expect(readFileSync(join(out, 'init'))).toEqual(readFileSync(join(CPIO, 'files/init.sh')));
    expect(statSync(join(out, 'init')).mode & 0o777).toBe(0o755);
    expect(statSync(join(out, 'root')).mode & 0o777).toBe(0o700);
    expect(statSync(join(out, 'init')).mtimeMs).toBe(1700000000 * 1000);
    expect(readlinkSync(join(out, 'bin/sh'))).toBe('busybox');
    expect(statSync(join(out, 'etc/hello')).ino).toBe(statSync(join(out, 'root/hello3')).ino);
    expect(readFileSync(join(out, 'etc/hello2'), 'utf8')).toBe('hello from a cpio fixture\n');
    expect(existsSync(join(out, 'dev/console'))).toBe(false);
  });

  it('refuses ../ and absolute names before writing anything', () => {
    for (const bad of ['../evil', 'a/../../evil', '/abs/evil']) {
      const file = join(dir, `evil-${bad.replace(/\W/g, '_')}.cpio`);
      writeFileSync(file, rawArchive(bad));
      const out = join(dir, `x-${bad.replace(/\W/g, '_')}`);
      const r = uimg(['cpio', '-x', file, '-C', out]);
      expect(r.status).toBe(4);
      expect(r.stderr.toString()).toMatch(/refusing to extract/);
      expect(existsSync(out)).toBe(false);
      expect(existsSync(join(dir, 'evil'))).toBe(false);
    }
  });

  it('refuses to write through a symlink the archive made', () => {
    const file = join(dir, 'through.cpio');
    writeFileSync(file, rawArchive('link', { symlinkTo: dir }, 'link/escaped'));
    const out = join(dir, 'x-through');
    const r = uimg(['cpio', '-x', file, '-C', out]);
    expect(r.status).toBe(4);
    expect(r.stderr.toString()).toMatch(/is a symbolic link/);
    expect(existsSync(join(dir, 'escaped'))).toBe(false);
  });

  it('refuses to replace a file that was already there', () => {
    const out = join(dir, 'x-exists');
    mkdirSync(out);
    writeFileSync(join(out, 'init'), 'mine');
    const r = uimg(['cpio', '-x', sample, '-C', out]);
    expect(r.status).toBe(3);
    expect(readFileSync(join(out, 'init'), 'utf8')).toBe('mine');
  });
});

/** newc entries with arbitrary names (regular empty files, or a symlink first), then the trailer. */
function rawArchive(firstName: string, opts: { symlinkTo?: string } = {}, ...more: string[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let offset = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    offset += b.length;
  };
  const pad = () => push(new Uint8Array((4 - (offset & 3)) & 3));
  const entry = (name: string, mode: number, data = new Uint8Array(0)) => {
    const n = enc(name);
    push(encodeNewcHeader({ format: 'newc', ino: parts.length + 1, mode, uid: 0, gid: 0, nlink: 1, mtime: 0, fileSize: data.length,
      devMajor: 0, devMinor: 0, rdevMajor: 0, rdevMinor: 0, nameSize: n.length + 1, check: 0 }));
    push(concatBytes([n, new Uint8Array(1)]));
    pad();
    push(data);
    pad();
  };
  entry(firstName, opts.symlinkTo ? 0o120777 : 0o100644, opts.symlinkTo ? enc(opts.symlinkTo) : undefined);
  for (const m of more) entry(m, 0o100644, enc('x'));
  entry('TRAILER!!!', 0);
  return concatBytes(parts);
}

describe.skipIf(skipUnless(hasTool('cpio') && hasTool('bsdcpio'), 'cpio', 'GNU cpio or bsdcpio not found (apt-get install cpio libarchive-tools)'))(`GNU cpio and bsdcpio${hasTool('cpio') && hasTool('bsdcpio') ? '' : ' (skipped: apt-get install cpio libarchive-tools)'}`, () => {
  const lines = (out: Buffer) => out.toString().split('\n').filter(Boolean);
  const ours = join(dir, 'ours.cpio');
  const list = readFileSync(join(CPIO, 'sample.list'), 'utf8').replace(/^nod .*\n/gm, '').replace(/^(pipe|sock) .*\n/gm, '');

  it('both list our archives as we do (newc and crc, gzip\'d too)', async () => {
    for (const flags of [[], ['-c']]) {
      expect(uimg(['cpio', '--list', 'sample.list', '--mtime', '1700000000', ...flags, '-o', ours], CPIO).status).toBe(0);
      const expected = await names(ours);
      expect(lines(spawnSync('cpio', ['-t', '--quiet', '-F', ours]).stdout)).toEqual(expected);
      expect(lines(spawnSync('bsdcpio', ['-it', '--quiet', '-F', ours]).stdout)).toEqual(expected);
      const tv = spawnSync('cpio', ['-tv', '--quiet', '-F', ours]).stdout.toString();
      expect(tv).toMatch(/^crw------- +1 root +root +5, +1 .* dev\/console$/m);
      expect(tv).toMatch(/^lrwxrwxrwx .* bin\/sh -> busybox$/m);
    }
    const gz = join(dir, 'g1.cpio.gz');
    expect(lines(spawnSync('bsdcpio', ['-it', '--quiet', '-F', gz]).stdout)).toEqual(await names(gz));
  });

  it('GNU cpio -i extracts our archive to the same files as ours does, and verifies our crc sums', () => {
    writeFileSync(join(dir, 'plain.list'), list.replace(/files\//g, `${CPIO}/files/`));
    expect(uimg(['cpio', '--list', 'plain.list', '-c', '--mtime', '1700000000', '-o', 'plain.cpio']).status).toBe(0);
    mkdirSync(join(dir, 'gnu-x'));
    const r = spawnSync('cpio', ['-i', '-d', '--quiet', '--no-absolute-filenames', '-F', join(dir, 'plain.cpio')], { cwd: join(dir, 'gnu-x') });
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    expect(uimg(['cpio', '-x', 'plain.cpio', '-C', 'ours-x']).status).toBe(0);
    expect(tree(join(dir, 'ours-x'))).toEqual(tree(join(dir, 'gnu-x')));
  });

  it('we list and extract what GNU cpio (newc, crc) and bsdcpio (newc) write', () => {
    const src = join(dir, 'tree');
    const found = spawnSync('sh', ['-c', 'find . -mindepth 1 | LC_ALL=C sort'], { cwd: src }).stdout;
    for (const [tool, args] of [['cpio', ['-o', '-H', 'newc', '--quiet']], ['cpio', ['-o', '-H', 'crc', '--quiet']], ['bsdcpio', ['-o', '--format', 'newc', '--quiet']]] as const) {
      const archive = spawnSync(tool, args, { cwd: src, input: found }).stdout;
      const file = join(dir, `${tool}-${args[2]}.cpio`);
      writeFileSync(file, archive);
      const r = uimg(['cpio', '-t', file, '--json']);
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout.toString());
      // GNU cpio stores the names without './', bsdcpio with.
      expect(out.entries.map((e: { name: string }) => e.name.replace(/^\.\//, ''))).toEqual(found.toString().trim().split('\n').map((n) => n.slice(2)));
      expect(out.findings.filter((f: { rule: string }) => f.rule !== 'cpio-no-init')).toEqual([]);
      const x = join(dir, `x-${tool}-${args[2]}`);
      expect(uimg(['cpio', '-x', file, '-C', x]).status).toBe(0);
      expect(tree(x)).toEqual(tree(src));
    }
  });
});

/** A directory's contents as comparable data: path → type and bytes or target. */
function tree(root: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(root, rel)).sort()) {
    const p = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(root, p));
    if (st.isDirectory()) Object.assign(out, { [p]: `dir ${(st.mode & 0o777).toString(8)}` }, tree(root, p));
    else if (st.isSymbolicLink()) out[p] = `-> ${readlinkSync(join(root, p))}`;
    else out[p] = `file ${(st.mode & 0o777).toString(8)} ${readFileSync(join(root, p)).toString('hex')}`;
  }
  return out;
}

