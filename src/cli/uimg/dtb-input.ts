/** Device trees given on the command line: checked here, so a bad one is reported against its own file. */
import { fromBytes, type ByteSource } from '../../bytes/source.js';
import { UimgError } from '../../errors.js';
import { FDT_HEADER_SIZE, checkFdtHeader, decodeFdtHeader, isFdt } from '../../formats/fdt/header.js';
import { type Context, displayPath, readWhole } from './common.js';

/** The DTB's own length (totalsize), after checking its header. */
export async function dtbLength(src: ByteSource, file: string): Promise<number> {
  const head = await src.read(0, FDT_HEADER_SIZE);
  if (!isFdt(head)) {
    throw new UimgError('BAD_MAGIC', `${file}: not a DTB: no FDT magic 0xd00dfeed at 0`, { file, field: 'magic', offset: 0, expected: '0xd00dfeed' }, 'dtc -I dts -O dtb makes one');
  }
  const h = decodeFdtHeader(head);
  const problem = checkFdtHeader(h);
  if (problem) throw new UimgError('MALFORMED', `${file}: ${problem.message}`, { file, field: problem.data.field, offset: problem.data.offset }, 'the DTB is damaged: rebuild it with dtc');
  if (h.totalSize > src.size) {
    throw new UimgError('TRUNCATED', `${file}: the DTB header says ${h.totalSize} bytes, the file has ${src.size}`,
      { file, field: 'totalsize', offset: 4, expected: `<= ${src.size}`, actual: h.totalSize }, 'the file is cut short');
  }
  return h.totalSize;
}

/** Linux refuses device trees past 2 MiB on arm64 (and kexec-tools with it); anything far larger is not one. */
const DTB_FILE_LIMIT = 16 << 20;

/** A DTB file's bytes, its header checked. */
export async function readDtb(ctx: Context, path: string): Promise<Uint8Array> {
  const bytes = await readWhole(ctx, path, DTB_FILE_LIMIT, 'a DTB');
  await dtbLength(fromBytes(bytes), displayPath(path));
  return bytes;
}
