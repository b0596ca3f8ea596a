/**
 * The emitted C header, compiled by gcc into a simulated first-stage loader: it reads the uImage header from a flash
 * image (made by `uimg flash`) at IMG_ADDRESS, checks magic, size, load, entry and the data CRC against the macros,
 * and the DTB at DTB_OFFSET. A flash image with another header must make it fail, and an edited macro must make the
 * header's static assertions stop the build.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, hasTool, runOurs, tempDir } from './helpers.js';
import { skipped } from './skip.js';

const haveGcc = hasTool('gcc');
if (!haveGcc) skipped('c-header gcc', 'gcc not found (apt-get install gcc)');

const LAYOUT = join(FIXTURES, 'layouts', 'layout-sound.json');

const LOADER_C = String.raw`
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "boot.h"

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static uint32_t crc32(const unsigned char *p, size_t n) {
  uint32_t c = 0xffffffffu;
  while (n--) { c ^= *p++; for (int k = 0; k < 8; k++) c = c >> 1 ^ (0xedb88320u & -(c & 1u)); }
  return ~c;
}

static int fail(const char *what, uint32_t found, uint32_t expected) {
  fprintf(stderr, "%s: found 0x%08x, expected 0x%08x\n", what, (unsigned)found, (unsigned)expected);
  return 1;
}

int main(int argc, char **argv) {
  FILE *flash = fopen(argv[1], "rb");
  if (argc < 2 || !flash) return 2;
  unsigned char h[IMG_HEADER_SIZE];
  /* What the loader does: read the header at IMG_ADDRESS, then IMG_DATA_SIZE bytes to LOAD_ADDR (here: a buffer). */
  if (fseek(flash, IMG_ADDRESS, SEEK_SET) || fread(h, 1, sizeof h, flash) != sizeof h) return fail("read header", 0, IMG_ADDRESS);
  if (be32(h) != IMG_MAGIC) return fail("magic", be32(h), IMG_MAGIC);
  if (be32(h + 12) != IMG_DATA_SIZE) return fail("size", be32(h + 12), IMG_DATA_SIZE);
  if (be32(h + 16) != LOAD_ADDR) return fail("load", be32(h + 16), LOAD_ADDR);
  if (be32(h + 20) != JUMP_ADDR) return fail("entry", be32(h + 20), JUMP_ADDR);
  if (be32(h + 24) != IMG_DATA_CRC) return fail("data crc field", be32(h + 24), IMG_DATA_CRC);
  unsigned char *data = malloc(IMG_DATA_SIZE);
  if (!data || fread(data, 1, IMG_DATA_SIZE, flash) != IMG_DATA_SIZE) return fail("read data", 0, IMG_DATA_SIZE);
  if (crc32(data, IMG_DATA_SIZE) != IMG_DATA_CRC) return fail("data crc", crc32(data, IMG_DATA_SIZE), IMG_DATA_CRC);
#ifdef DTB_OFFSET
  unsigned char d[8];
  if (fseek(flash, DTB_OFFSET, SEEK_SET) || fread(d, 1, 8, flash) != 8) return fail("read dtb", 0, DTB_OFFSET);
  if (be32(d) != 0xd00dfeedu) return fail("dtb magic", be32(d), 0xd00dfeedu);
  if (be32(d + 4) != DTB_SIZE) return fail("dtb size", be32(d + 4), DTB_SIZE);
#endif
  printf("ok: jump to 0x%08x with r2 = 0x%08x\n", (unsigned)JUMP_ADDR, (unsigned)
#ifdef DTB_ADDRESS
    DTB_ADDRESS
#else
    0
#endif
  );
  return 0;
}
`;

describe.skipIf(!haveGcc)('c-header compiled by gcc into a simulated first-stage loader', () => {
  const dir = tempDir('uimg-cheader-');
  const gcc = (header: string) => {
    writeFileSync(join(dir, 'boot.h'), header);
    return spawnSync('gcc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-o', join(dir, 'loader'), join(dir, 'loader.c')], { encoding: 'utf8' });
  };
  const run = (flash: string) => spawnSync(join(dir, 'loader'), [join(dir, flash)], { encoding: 'utf8' });
  let header = '';

  beforeAll(() => {
    writeFileSync(join(dir, 'loader.c'), LOADER_C);
    const flash = runOurs('uimg', ['flash', LAYOUT, '-o', join(dir, 'flash.bin'), '--trim'], dir);
    expect(flash.status, flash.stderr.toString()).toBe(0);
    const h = runOurs('uimg', ['loader', 'c-header', '--layout', LAYOUT, '--staging-addr', '0x22000000', '-o', join(dir, 'boot.h')], dir);
    expect(h.status, h.stderr.toString()).toBe(0);
    header = readFileSync(join(dir, 'boot.h'), 'utf8');
  });

  it('builds and accepts the flash image the header describes', () => {
    const built = gcc(header);
    expect(built.status, built.stderr).toBe(0);
    const r = run('flash.bin');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok: jump to 0x20008000 with r2 = 0x21000000\n');
    expect(r.status).toBe(0);
  });

  it('fails on a flash image whose header says something else', () => {
    expect(gcc(header).status).toBe(0);
    const flash = readFileSync(join(dir, 'flash.bin'));
    const imgAddress = parseInt(/#define IMG_ADDRESS +0x([0-9a-f]+)u/.exec(header)![1]!, 16);
    const patched = Buffer.from(flash);
    patched.writeUInt32BE(0x20010000, imgAddress + 16);
    writeFileSync(join(dir, 'other-load.bin'), patched);
    expect(run('other-load.bin')).toMatchObject({ status: 1, stderr: 'load: found 0x20010000, expected 0x20008000\n' });
    const gz = readFileSync(join(FIXTURES, 'layouts', 'images', 'uImage.gz'));
    const swapped = Buffer.from(flash);
    swapped.fill(0xff, imgAddress, imgAddress + 0x5040);
    gz.copy(swapped, imgAddress);
    writeFileSync(join(dir, 'other-image.bin'), swapped);
    expect(run('other-image.bin')).toMatchObject({ status: 1, stderr: expect.stringMatching(/^size: found 0x[0-9a-f]+, expected 0x00005000\n$/) });
    const flipped = Buffer.from(flash);
    flipped[imgAddress + 64 + 100]! ^= 1;
    writeFileSync(join(dir, 'flipped.bin'), flipped);
    expect(run('flipped.bin')).toMatchObject({ status: 1, stderr: expect.stringMatching(/^data crc: /) });
  });

  it.each([
    ['an entry point outside the data', /#define JUMP_ADDR +0x20008000u/, '#define JUMP_ADDR 0x2000d000u', 'the entry point lies inside the loaded data'],
    ['a size that is not header + data', /#define IMG_SIZE +0x00005040u/, '#define IMG_SIZE 0x00005000u', 'IMG_SIZE is the header plus ih_size'],
    ['a staging copy over the load range', /#define STAGING_ADDR +0x22000000u/, '#define STAGING_ADDR 0x20004000u', 'the staging copy does not overlap the load range'],
    ['a misaligned DTB', /#define DTB_ADDRESS +0x21000000u/, '#define DTB_ADDRESS 0x21000004u', 'the DTB is 64-bit aligned'],
    ['a DTB on the kernel', /#define DTB_ADDRESS +0x21000000u/, '#define DTB_ADDRESS 0x20008000u', 'the DTB does not overlap the kernel'],
    ['a kernel outside RAM', /#define RAM_SIZE +0x08000000u/, '#define RAM_SIZE 0x00004000u', 'the kernel lies inside RAM'],
  ])('a header edited to %s does not build', (_what, line, replacement, message) => {
    expect(header).toMatch(line);
    const built = gcc(header.replace(line, replacement));
    expect(built.status).not.toBe(0);
    expect(built.stderr).toContain(message);
  });
});
