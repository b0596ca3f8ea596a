/**
 * Writes a newc (or crc) archive from list entries with the conventions of the kernel's usr/gen_init_cpio, so the
 * same list gives the same bytes: inodes numbered from 721 in list order (hard links share one), device 3:1 in
 * every header, nlink 2 for directories, pipes and sockets, symlink data = target + NUL, the data of a hard-linked
 * file on its last name only, names without their leading '/', and the trailer padded to 512 bytes.
 */
import type { ByteSink, ByteSource } from '../../bytes/source.js';
import { UimgError } from '../../errors.js';
import type { CpioSpec, FileSpec } from './list.js';
import { FILE_TYPES, TRAILER_NAME, byteSum, encodeNewcHeader, pad4, type NewcHeader } from './newc.js';

/** gen_init_cpio's first inode number and the device it claims for every entry. */
export const FIRST_INO = 721;
const DEV_MAJOR = 3;
const DEV_MINOR = 1;
/** gen_init_cpio ends the archive on a 512-byte boundary. */
const ARCHIVE_ALIGN = 512;
const MAX_FILE_SIZE = 0xffffffff;

export interface OpenedFile {
  content: ByteSource;
  /** The file's own mtime (gen_init_cpio uses it for files); without it the archive's mtime applies. */
  mtime?: number;
  close?(): Promise<void>;
}

/** Opens the data of a `file` entry when its turn comes, so only one file is open at a time. */
export type FileOpener = (spec: FileSpec) => Promise<OpenedFile>;

export interface CpioWriteOptions {
  /** 'crc' writes magic 070702 with byte sums of the file data (gen_init_cpio -c). */
  format?: 'newc' | 'crc';
  /** The mtime of entries that carry none of their own (gen_init_cpio -t). */
  mtime: number;
  /** Replaces the owner of every entry (an initramfs is usually all root's). */
  owner?: { uid: number; gid: number };
}

export interface WrittenCpio {
  /** Archive bytes, padding included. */
  size: number;
  /** Headers written, the trailer excluded (a file with hard links has one per name). */
  entries: number;
}

const archiveName = (name: string) => name.replace(/^\/+/, '');
const utf8 = (s: string) => new TextEncoder().encode(s);

export async function writeCpio(specs: readonly CpioSpec[], openFile: FileOpener, sink: ByteSink, opts: CpioWriteOptions): Promise<WrittenCpio> {
  const format = opts.format ?? 'newc';
  let offset = 0;
  let entries = 0;
  let ino = FIRST_INO;
  const put = async (bytes: Uint8Array) => {
    if (bytes.length === 0) return;
    await sink.write(bytes);
    offset += bytes.length;
  };
  const pad = () => put(new Uint8Array(pad4(offset)));
  const header = async (name: string, fields: Partial<NewcHeader>) => {
    const nameBytes = utf8(archiveName(name));
    await put(encodeNewcHeader({
      format, ino: 0, mode: 0, uid: 0, gid: 0, nlink: 1, mtime: 0, fileSize: 0, devMajor: 0, devMinor: 0,
      rdevMajor: 0, rdevMinor: 0, check: 0, ...fields, nameSize: nameBytes.length + 1,
    }));
    await put(nameBytes);
    await put(new Uint8Array(1));
    await pad();
  };
  const owner = (s: CpioSpec) => opts.owner ?? { uid: s.uid, gid: s.gid };
  const base = (s: CpioSpec) => ({ ...owner(s), ino, devMajor: DEV_MAJOR, devMinor: DEV_MINOR, mtime: s.mtime ?? opts.mtime });

  for (const spec of specs) {
    switch (spec.kind) {
      case 'file':
        entries += await writeFile(spec);
        break;
      case 'slink': {
        const target = utf8(spec.target);
        await header(spec.name, { ...base(spec), mode: FILE_TYPES.lnk | spec.mode, fileSize: target.length + 1 });
        await put(target);
        await put(new Uint8Array(1));
        await pad();
        entries++;
        break;
      }
      case 'nod':
        await header(spec.name, {
          ...base(spec), mode: (spec.device === 'b' ? FILE_TYPES.blk : FILE_TYPES.chr) | spec.mode,
          rdevMajor: spec.major, rdevMinor: spec.minor,
        });
        entries++;
        break;
      default: {
        const type = spec.kind === 'dir' ? FILE_TYPES.dir : spec.kind === 'pipe' ? FILE_TYPES.fifo : FILE_TYPES.sock;
        await header(spec.name, { ...base(spec), mode: type | spec.mode, nlink: 2 });
        entries++;
      }
    }
    ino++;
  }
  await header(TRAILER_NAME, {});
  await put(new Uint8Array((ARCHIVE_ALIGN - (offset % ARCHIVE_ALIGN)) % ARCHIVE_ALIGN));
  return { size: offset, entries };

  async function writeFile(spec: FileSpec): Promise<number> {
    const opened = await openFile(spec);
    try {
      const { content } = opened;
      if (content.size > MAX_FILE_SIZE) {
        throw new UimgError('SIZE_LIMIT', `${spec.location}: ${content.size} bytes is more than a cpio entry holds (4 GiB - 1)`,
          { file: spec.location, field: 'filesize', expected: `<= ${MAX_FILE_SIZE}`, actual: content.size });
      }
      let check = 0;
      if (format === 'crc') for await (const c of content.chunks(0, content.size)) check = byteSum(check, c);
      const names = [spec.name, ...spec.links];
      const fields = { ...base(spec), mode: FILE_TYPES.reg | spec.mode, nlink: names.length, mtime: spec.mtime ?? opened.mtime ?? opts.mtime };
      for (const [i, name] of names.entries()) {
        const last = i === names.length - 1;
        await header(name, { ...fields, fileSize: last ? content.size : 0, check: last ? check : 0 });
      }
      let copied = 0;
      for await (const c of content.chunks(0, content.size)) {
        await put(c);
        copied += c.length;
      }
      if (copied !== content.size) {
        throw new UimgError('TRUNCATED', `${spec.location}: read ${copied} of ${content.size} bytes (did the file change?)`,
          { file: spec.location, expected: content.size, actual: copied });
      }
      await pad();
      return names.length;
    } finally {
      await opened.close?.();
    }
  }
}
