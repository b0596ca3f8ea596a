/** cpio and the file system: list entries from a directory tree, file data for the writer, safe extraction. */
import { chmod, link, lstat, lutimes, mkdir, open, readdir, readlink, rmdir, stat, symlink, unlink, utimes } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UimgError } from '../errors.js';
import type { CpioSpec, FileSpec } from '../formats/cpio/list.js';
import { isUnsafeName, normalName, walkInitramfs, type CpioEntry } from '../formats/cpio/read.js';
import type { OpenedFile } from '../formats/cpio/write.js';
import { fileSource } from './file.js';

/** Linux's dev_t split (glibc gnu_dev_major/minor). */
const major = (rdev: number) => Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
const minor = (rdev: number) => Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export interface DirectoryOptions {
  /** Record each entry's own mtime; without it the archive's single mtime applies to all. */
  keepMtimes: boolean;
}

/**
 * The entries of a directory tree, sorted by path in byte order (as gen_initramfs.sh sorts `find` output with
 * LC_ALL=C), so the archive does not depend on the order the file system lists them. Names of one inode become
 * one file entry with hard links, as the kernel restores them.
 */
export async function cpioSpecsFromDirectory(root: string, opts: DirectoryOptions): Promise<CpioSpec[]> {
  const paths: string[] = [];
  const walk = async (rel: string) => {
    for (const name of await readdir(join(root, rel))) {
      const child = rel ? `${rel}/${name}` : name;
      paths.push(child);
      if ((await lstat(join(root, child))).isDirectory()) await walk(child);
    }
  };
  await walk('');
  paths.sort(byteOrder);
  const specs: CpioSpec[] = [];
  const byInode = new Map<string, FileSpec>();
  for (const rel of paths) {
    const location = resolve(root, rel);
    const st = await lstat(location);
    const common = { name: `/${rel}`, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, ...(opts.keepMtimes ? { mtime: Math.floor(st.mtimeMs / 1000) } : {}) };
    if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? byInode.get(key) : undefined;
      if (first) first.links.push(common.name);
      else {
        const spec: FileSpec = { kind: 'file', ...common, location, links: [] };
        if (st.nlink > 1) byInode.set(key, spec);
        specs.push(spec);
      }
    } else if (st.isDirectory()) specs.push({ kind: 'dir', ...common });
    else if (st.isSymbolicLink()) specs.push({ kind: 'slink', ...common, target: await readlink(location) });
    else if (st.isCharacterDevice() || st.isBlockDevice()) {
      specs.push({ kind: 'nod', ...common, device: st.isBlockDevice() ? 'b' : 'c', major: major(st.rdev), minor: minor(st.rdev) });
    } else if (st.isFIFO()) specs.push({ kind: 'pipe', ...common });
    else if (st.isSocket()) specs.push({ kind: 'sock', ...common });
  }
  return specs;
}

/**
 * The writer's FileOpener for host files (symbolic links followed, as gen_init_cpio's open() does); `keepMtimes`
 * passes each file's own mtime (gen_init_cpio's way).
 */
export function hostFileOpener(keepMtimes: boolean): (spec: FileSpec) => Promise<OpenedFile> {
  return async (spec) => {
    const st = await stat(spec.location).catch(() => undefined);
    if (st && !st.isFile()) {
      throw new UimgError('NOT_A_FILE', `${spec.location}: not a regular file (for ${spec.name})`,
        { file: spec.location, field: 'location' }, 'file entries take their data from a regular file');
    }
    const content = await fileSource(spec.location);
    return { content, close: () => content.close(), ...(keepMtimes && st ? { mtime: Math.floor(st.mtimeMs / 1000) } : {}) };
  };
}

export interface ExtractResult {
  /** Names created. */
  extracted: string[];
  /** Names not created, and why (device nodes, pipes and sockets need mknod). */
  skipped: { name: string; reason: string }[];
}

/**
 * Extract into `dest` (created if missing). `chunks` is called twice: a first pass checks the whole archive (names,
 * structure, sums) and that no entry would replace a file already there, so that nothing is written from an archive
 * that would be refused half-way; the second writes. Should the second fail anyway (a symbolic link the archive
 * itself made, a full disk), everything it created is removed again. Refused: absolute names, '..', writing through
 * a symbolic link, replacing a file that was there before. Owners are not changed; set-id and sticky bits are dropped.
 */
export async function extractCpio(chunks: () => AsyncIterable<Uint8Array>, dest: string): Promise<ExtractResult> {
  const check = await walkInitramfs(chunks());
  const unsafe = check.entries.find((e) => isUnsafeName(e.name));
  if (unsafe) {
    throw new UimgError('MALFORMED', `refusing to extract '${unsafe.name}' (at ${unsafe.offset}): absolute or with '..'`,
      { field: 'name', offset: unsafe.offset, actual: unsafe.name }, 'nothing was extracted; list it with uimg cpio -t');
  }
  const root = resolve(dest);
  for (const entry of check.entries) {
    const rel = normalName(entry.name);
    const existing = rel === '' ? undefined : await lstat(join(root, rel)).catch(() => undefined);
    if (existing && !(entry.type === 'dir' && existing.isDirectory())) throw alreadyThere(join(root, rel), entry.name);
  }
  await mkdir(dest, { recursive: true });
  const result: ExtractResult = { extracted: [], skipped: [] };
  /** Everything made here, in order, so that a failure can take it back. */
  const made: string[] = [];
  const created = new Set<string>();
  const links = new Map<string, string>();
  const dirs: { path: string; mode: number; mtime: number }[] = [];
  const makeParents = async (path: string) => {
    const first = await mkdir(dirname(path), { recursive: true });
    if (first === undefined) return;
    const chain: string[] = [];
    for (let d = dirname(path); d.length >= first.length; d = dirname(d)) chain.unshift(d);
    made.push(...chain);
  };

  try {
    await walkInitramfs(chunks(), async (entry, data) => {
      const rel = normalName(entry.name);
      if (rel === '') return; // "." is dest itself
      const path = join(root, rel);
      await refuseSymlinkParents(root, rel);
      const existing = await lstat(path).catch(() => undefined);
      if (existing && !(entry.type === 'dir' && existing.isDirectory())) {
        if (!created.has(rel)) throw alreadyThere(path, entry.name);
        await unlink(path); // a later entry of the same name replaces the earlier, as in the kernel
      }
      await makeParents(path);
      switch (entry.type) {
        case 'dir':
          if (!existing) made.push(path);
          await mkdir(path, { recursive: true, mode: 0o700 });
          dirs.push({ path, mode: entry.mode & 0o777, mtime: entry.mtime });
          break;
        case 'reg':
          made.push(path);
          await writeRegular(entry, path, data, links);
          break;
        case 'lnk':
          made.push(path);
          await symlink(entry.target ?? '', path);
          await lutimes(path, entry.mtime, entry.mtime);
          break;
        default:
          result.skipped.push({ name: entry.name, reason: `a ${entry.type ?? 'file of unknown type'} (needs mknod)` });
          return;
      }
      created.add(rel);
      result.extracted.push(entry.name);
    });
  } catch (e) {
    for (const path of made.reverse()) {
      const st = await lstat(path).catch(() => undefined);
      await (st?.isDirectory() ? rmdir(path) : unlink(path)).catch(() => undefined);
    }
    throw e;
  }
  // Deepest first, so a read-only directory is closed only after its contents are in.
  for (const d of dirs.reverse()) {
    await chmod(d.path, d.mode);
    await utimes(d.path, d.mtime, d.mtime);
  }
  return result;
}

const alreadyThere = (path: string, name: string) =>
  new UimgError('IO_ERROR', `${path}: already exists; refusing to replace it`, { file: path, field: 'name', actual: name },
    'extract into a new or empty directory');

async function refuseSymlinkParents(root: string, rel: string): Promise<void> {
  const parts = rel.split('/').slice(0, -1);
  let at = root;
  for (const p of parts) {
    at = join(at, p);
    const st = await lstat(at).catch(() => undefined);
    if (st?.isSymbolicLink()) {
      throw new UimgError('MALFORMED', `refusing to extract '${rel}': '${at}' is a symbolic link`,
        { file: at, field: 'name', actual: rel }, 'an archive that writes through its own symlinks could reach outside the directory');
    }
    if (!st) break;
  }
}

async function writeRegular(entry: CpioEntry, path: string, data: AsyncIterable<Uint8Array>, links: Map<string, string>): Promise<void> {
  const key = `${entry.devMajor}:${entry.devMinor}:${entry.ino}`;
  const first = entry.nlink > 1 ? links.get(key) : undefined;
  if (first) await link(first, path);
  else if (entry.nlink > 1) links.set(key, path);
  if (first && entry.fileSize === 0) return;
  const fh = await open(path, first ? 'r+' : 'wx', 0o600);
  try {
    let at = 0;
    for await (const c of data) {
      await fh.write(c, 0, c.length, at);
      at += c.length;
    }
    await fh.truncate(at);
  } finally {
    await fh.close();
  }
  await chmod(path, entry.mode & 0o777);
  await utimes(path, entry.mtime, entry.mtime);
}
