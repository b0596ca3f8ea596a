/** Files as ByteSources and atomic ByteSinks. Everything that touches the file system for the library lives here. */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, stat, unlink, chmod } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DEFAULT_CHUNK_SIZE, type ByteSink, type ByteSource } from '../bytes/source.js';

export interface FileSource extends ByteSource {
  close(): Promise<void>;
}

/** Open a regular file for reading; the size is taken once, at open time. */
export async function fileSource(path: string): Promise<FileSource> {
  const fh = await open(path, 'r');
  const st = await fh.stat();
  const size = st.size;
  const readAt = async (offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> => {
    const buf = into ?? new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  };
  return {
    size,
    read: (offset, length) => readAt(offset, Math.max(0, Math.min(length, size - offset))),
    async *chunks(offset, length, chunkSize = DEFAULT_CHUNK_SIZE) {
      const end = Math.min(size, offset + length);
      // Two buffers in turn: a consumer may hold one chunk while the next is read, never more.
      const buffers = [new Uint8Array(Math.min(chunkSize, Math.max(0, end - offset))), new Uint8Array(0)];
      buffers[1] = new Uint8Array(buffers[0]!.length);
      let turn = 0;
      for (let at = offset; at < end; at += chunkSize) {
        const c = await readAt(at, Math.min(chunkSize, end - at), buffers[turn]!);
        turn ^= 1;
        if (c.length === 0) return;
        yield c;
      }
    },
    close: () => fh.close(),
  };
}

export interface AtomicFileSink extends ByteSink {
  /** fsync, then rename the temporary file over the target. */
  commit(): Promise<void>;
  /** Remove the temporary file; the target is untouched. Safe to call after commit (does nothing). */
  abort(): Promise<void>;
}

export interface AtomicSinkOptions {
  /** Mode for a new file (before umask). An existing target keeps its mode. */
  mode?: number;
  /** fsync before rename (default true). */
  durable?: boolean;
}

/**
 * Write to a temporary file beside `path`, renamed into place on commit: a failure never leaves a partial file, and
 * an input that is also the output is read intact until the very end.
 */
export async function atomicFileSink(path: string, opts: AtomicSinkOptions = {}): Promise<AtomicFileSink> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const existingMode = await stat(path).then((s) => (s.isFile() ? s.mode & 0o7777 : undefined), () => undefined);
  const fh: FileHandle = await open(temp, 'wx', opts.mode ?? 0o666);
  let position = 0;
  let done = false;
  const writeAll = async (bytes: Uint8Array, at: number) => {
    let written = 0;
    while (written < bytes.length) {
      const r = await fh.write(bytes, written, bytes.length - written, at + written);
      written += r.bytesWritten;
    }
  };
  return {
    async write(chunk) {
      await writeAll(chunk, position);
      position += chunk.length;
    },
    patch: (offset, bytes) => writeAll(bytes, offset),
    async commit() {
      if (existingMode !== undefined) await chmod(temp, existingMode);
      if (opts.durable ?? true) await fh.datasync();
      await fh.close();
      await rename(temp, path);
      done = true;
    },
    async abort() {
      if (done) return;
      done = true;
      await fh.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
    },
  };
}
