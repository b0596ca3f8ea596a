// Small SH romImages built in memory for tests that inspect them.
import { fromBytes, memorySink } from '../src/bytes/source.js';
import { parseScript, scriptCommands } from '../src/formats/romimage/script.js';
import { SH_BOARDS, writeShRomImage } from '../src/formats/romimage/sh-romimage.js';
import { DEFAULT_BOOT_PARAMS, encodeZeroPage } from '../src/formats/romimage/zero-page.js';
import { fakeShZImage } from './sh-zimage-fake.js';

/** An r2d romImage around a synthetic SH zImage; `marker` overwrites the page's "SE?" word. */
export async function shRomImage({ script = 'ED 0xac000000, 0x12345678\nWAIT 1\n', cmdline = 'console=ttySC1', marker }: { script?: string; cmdline?: string; marker?: number } = {}): Promise<Uint8Array> {
  const r2d = SH_BOARDS.find((b) => b.name === 'r2d')!;
  const zeroPage = encodeZeroPage({ ...DEFAULT_BOOT_PARAMS, commandLine: cmdline }, 4096, 'little');
  if (marker !== undefined) new DataView(zeroPage.buffer).setUint32(0x18, marker, true);
  const sink = memorySink();
  await writeShRomImage({
    endian: 'little', commands: scriptCommands(parseScript(script)), pageOffset: 0x80000000, memoryStart: r2d.memoryStart,
    zeroPageOffset: r2d.zeroPageOffset, pageSize: 4096, addressMode: 29, zeroPage, romAddress: 0xa0000000,
  }, { source: fromBytes(fakeShZImage({ linkAddress: 0x8c800000, kernelEntry: 0x8c011000 })), raw: false }, sink);
  return sink.bytes();
}
