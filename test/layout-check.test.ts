/** uimg layout check: the example layouts, and every layout rule made to fire and kept quiet. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBytes } from '../src/bytes/source.js';
import { checkLayout } from '../src/layout/check.js';
import { gatherImages, type LayoutImages } from '../src/layout/images.js';
import type { ImageRole } from '../src/layout/model.js';
import { parseLayout } from '../src/layout/parse.js';
import { FIXTURES, runOurs, tempDir } from './helpers.js';

const DIR = join(FIXTURES, 'layouts');
const SOUND = JSON.parse(readFileSync(join(DIR, 'layout-sound.json'), 'utf8'));

async function check(edit: (l: any) => void = () => undefined) {
  const raw = structuredClone(SOUND);
  edit(raw);
  const layout = parseLayout(JSON.stringify(raw, null, 2), 'edited.json');
  const sources: Partial<Record<ImageRole, ReturnType<typeof fromBytes>>> = {};
  for (const p of Object.values(layout.images)) {
    if (p?.file) sources[p.role] = fromBytes(new Uint8Array(readFileSync(join(DIR, p.file))));
  }
  const images: LayoutImages = await gatherImages(sources);
  return checkLayout(layout, images);
}

const rules = async (edit?: (l: any) => void) => (await check(edit)).findings.map((f) => f.rule);

describe('the example layouts', () => {
  it.each([
    ['layout-sound.json', 0, /layout-sound\.json: sound \(0 errors, 0 warnings\)\n$/],
    ['layout-misaligned.json', 4, /layout-misaligned\.json:8:\d+: error \[flash-misaligned\]: partition dtb: offset 0x00040200 is not a multiple of the 16 KiB erase block/],
    ['layout-oversize.json', 4, /layout-oversize\.json:\d+:\d+: error \[image-oversize\]: images\/uImage \(20544 bytes, 20\.1 KiB\) does not fit partition kernel \(16384 bytes/],
    ['layout-overlap.json', 4, /layout-overlap\.json:15:\d+: error \[ram-overlap\]: uImage \(staging copy\) \[0x20006000, 0x2000b040\) overlaps kernel \(ih_load\) \[0x20008000, 0x2000d000\)/],
  ])('%s: exit %d', (file, status, output) => {
    const r = runOurs('uimg', ['layout', 'check', file], DIR);
    expect(r.status, r.stderr.toString()).toBe(status);
    expect(r.stdout.toString()).toMatch(output);
  });

  it('says the same in JSON', () => {
    const r = runOurs('uimg', ['layout', 'check', 'layout-overlap.json', '--json'], DIR);
    expect(r.status).toBe(4);
    const out = JSON.parse(r.stdout.toString());
    expect(out).toMatchObject({ schemaVersion: 1, ok: false, file: 'layout-overlap.json' });
    expect(out.findings).toEqual([expect.objectContaining({ rule: 'ram-overlap', severity: 'error', path: 'images.kernel.ramAddress' })]);
  });

  it('reports a broken layout as one located line (exit 4), a missing image file as exit 3, and --quiet prints nothing', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), '{\n  "ram": {"base": 0, "size": "12Q"}\n}\n');
    const bad = runOurs('uimg', ['layout', 'check', 'bad.json'], dir);
    expect(bad.status).toBe(4);
    expect(bad.stderr.toString()).toBe('uimg: bad.json:2:30: ram.size: expected RAM size: a whole number of bytes (4096, 0x1000, 4KiB), found "12Q" (hint: write numbers as decimal, 0x hex, or with a K/M/G (KiB/MiB/GiB) suffix)\n');
    writeFileSync(join(dir, 'missing.json'), JSON.stringify({ ...SOUND, images: { kernel: { file: 'nope', partition: 'kernel' } } }));
    const missing = runOurs('uimg', ['layout', 'check', 'missing.json'], dir);
    expect(missing.status).toBe(3);
    expect(missing.stderr.toString()).toMatch(/nope: cannot open: No such file or directory/);
    const quiet = runOurs('uimg', ['layout', 'check', join(DIR, 'layout-overlap.json'), '--quiet'], dir);
    expect(quiet.status).toBe(4);
    expect(quiet.stdout.length + quiet.stderr.length).toBe(0);
  });
});

describe('layout rules: each fires, and stays quiet on the sound layout', () => {
  it('the sound layout has no finding at all', async () => {
    expect(await rules()).toEqual([]);
  });

  it.each<[string, (l: any) => void]>([
    ['flash-misaligned', (l) => (l.partitions[1].offset = '0x40200')],
    ['flash-overlap', (l) => (l.partitions[1].offset = '0x8000')],
    ['flash-overflow', (l) => { l.partitions[3].size = '64MiB'; }],
    ['image-oversize', (l) => (l.partitions[2].size = '16KiB')],
    ['nand-no-spare', (l) => (l.partitions[2].size = '32KiB')],
    ['ram-overlap', (l) => (l.images.kernel.ramAddress = '0x20006000')],
    ['ram-overlap', (l) => (l.images.dtb.ramAddress = '0x20100000')],
    // bootm decompresses into the load range: no overlap with the staged file is safe.
    ['ram-overlap', (l) => { l.loader = 'u-boot'; l.images.kernel.file = 'images/uImage.gz'; l.images.kernel.ramAddress = '0x20008000'; }],
    ['ram-outside', (l) => (l.images.dtb.ramAddress = '0x27fff000')],
    ['ram-outside', (l) => (l.ram.base = '0x10000000')],
    ['ram-size-unknown', (l) => { l.images.kernel.file = 'images/uImage.gz'; l.loader = 'u-boot'; }],
    ['ram-unchecked', (l) => delete l.images.kernel.ramAddress],
    ['loader-cannot-boot', (l) => (l.images.kernel.file = 'images/uImage.gz')],
    ['loader-cannot-boot', (l) => (l.images.kernel.file = 'images/board.dtb')],
    ['dtb-misaligned', (l) => (l.images.dtb.ramAddress = '0x21000004')],
    ['dtb-not-fdt', (l) => (l.images.dtb.file = 'images/bootstrap.bin')],
    ['image-unchecked', (l) => (l.images.rootfs = { partition: 'rootfs' })],
  ])('%s fires', async (rule, edit) => {
    const report = await check(edit);
    expect(report.findings.map((f) => f.rule)).toContain(rule);
    const f = report.findings.find((x) => x.rule === rule)!;
    expect(f.location).toMatch(/^edited\.json:\d+:\d+$/);
  });

  it.each<[string, (l: any) => void]>([
    ['flash-misaligned', (l) => { l.flash = { kind: 'nor', size: '64MiB', eraseBlockSize: '4KiB' }; l.partitions[1].offset = '0x41000'; }],
    ['flash-overlap', (l) => (l.partitions[1].offset = '0x10000')],
    ['image-oversize', (l) => (l.partitions[2].size = '48KiB')],
    ['nand-no-spare', (l) => (l.partitions[2].size = '48KiB')],
    ['ram-overlap', (l) => (l.images.kernel.ramAddress = '0x20007fc0')],
    // AT91Bootstrap's forward copy moves the data down 64 bytes safely; U-Boot's bootm memmoves it either way.
    ['ram-overlap', (l) => (l.images.kernel.ramAddress = '0x20008000')],
    ['ram-overlap', (l) => { l.loader = 'u-boot'; l.images.kernel.ramAddress = '0x20008000'; }],
    ['ram-overlap', (l) => { l.loader = 'u-boot'; l.images.kernel.ramAddress = '0x20006000'; }],
    ['ram-outside', (l) => (l.images.dtb.ramAddress = '0x27ffc000')],
    ['dtb-misaligned', (l) => (l.images.dtb.ramAddress = '0x21000008')],
  ])('%s stays quiet on a near miss', async (rule, edit) => {
    expect(await rules(edit)).not.toContain(rule);
  });
});
