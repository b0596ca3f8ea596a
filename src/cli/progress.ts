/**
 * Feedback on long work: one progress bar on stderr, drawn only when stderr is a terminal (never in a pipe or a log,
 * never with --quiet or --json), for whatever reads or writes many bytes: verify, extract, create, flash, inspect,
 * cpio. Commands count bytes by wrapping the source they read or the sink they write.
 */
import type { ByteSink, ByteSource } from '../bytes/source.js';
import type { Stdio } from './system.js';

export interface Progress {
  /** `bytes` more of the work are done. */
  advance(bytes: number): void;
  /** The work is over: the bar is erased, whatever follows is printed on a clean line. */
  done(): void;
}

const NONE: Progress = { advance: () => undefined, done: () => undefined };

/** The bar appears only for work still going after this long: a quick command prints nothing at all. */
export const PROGRESS_DELAY_MS = 500;
/** Redraw at most this often. */
const FRAME_MS = 100;

const MIB = 1 << 20;
const amount = (n: number) => (n >= MIB ? `${(n / MIB).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`);

/**
 * A bar for `total` bytes of work labelled `label` (a command and a file name), or nothing when stderr is not a
 * terminal (`io.terminal` unset) or `quiet`.
 */
export function startProgress(io: Stdio, label: string, total: number, quiet = false): Progress {
  const terminal = io.terminal;
  if (quiet || !terminal || total <= 0) return NONE;
  const now = terminal.now ?? (() => performance.now());
  const start = now();
  let done = 0;
  let drawn = false;
  let last = -Infinity;
  const draw = () => {
    const fraction = Math.min(done / total, 1);
    const tail = ` ${String(Math.floor(fraction * 100)).padStart(3)}%  ${amount(done)} of ${amount(total)}`;
    const name = label.length > 40 ? '…' + label.slice(-39) : label;
    const width = Math.max(10, Math.min(40, terminal.columns - name.length - tail.length - 4));
    const filled = Math.round(fraction * width);
    io.stderr(`\r${name} [${'#'.repeat(filled)}${' '.repeat(width - filled)}]${tail}\x1b[K`);
    drawn = true;
  };
  return {
    advance(bytes) {
      done += bytes;
      const t = now();
      if (t - start < PROGRESS_DELAY_MS || t - last < FRAME_MS) return;
      last = t;
      draw();
    },
    done() {
      if (drawn) io.stderr('\r\x1b[K');
      drawn = false;
    },
  };
}

/** The source, counting every byte read from it (reads past `total` are clamped by the bar). */
export function countedSource<S extends ByteSource>(src: S, progress: Progress): S {
  if (progress === NONE) return src;
  return Object.assign(Object.create(src) as S, {
    size: src.size,
    read: async (offset: number, length: number) => {
      const bytes = await src.read(offset, length);
      progress.advance(bytes.length);
      return bytes;
    },
    chunks: async function* (offset: number, length: number, chunkSize?: number) {
      for await (const c of src.chunks(offset, length, chunkSize)) {
        progress.advance(c.length);
        yield c;
      }
    },
  });
}

/** The sink, counting every byte written to it. */
export function countedSink<S extends ByteSink>(sink: S, progress: Progress): S {
  if (progress === NONE) return sink;
  return Object.assign(Object.create(sink) as S, {
    write: async (c: Uint8Array) => {
      await sink.write(c);
      progress.advance(c.length);
    },
  });
}
