/** Sequential reads over a stream of chunks (a file or a decompressor): exact reads, skips and pass-through. */
export class StreamReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private buffer: Uint8Array = new Uint8Array(0);
  private done = false;
  /** Bytes consumed so far. */
  position = 0;

  constructor(chunks: AsyncIterable<Uint8Array>) {
    this.iterator = chunks[Symbol.asyncIterator]();
  }

  /** Make at least `n` bytes available (fewer only at the end); returns how many are. */
  private async fill(n: number): Promise<number> {
    while (this.buffer.length < n && !this.done) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        break;
      }
      if (this.buffer.length === 0) this.buffer = next.value;
      else {
        const joined = new Uint8Array(this.buffer.length + next.value.length);
        joined.set(this.buffer);
        joined.set(next.value, this.buffer.length);
        this.buffer = joined;
      }
    }
    return Math.min(n, this.buffer.length);
  }

  /** The next `n` bytes without consuming them (fewer at the end). */
  async peek(n: number): Promise<Uint8Array> {
    const available = await this.fill(n);
    return this.buffer.subarray(0, available);
  }

  /** Consume `n` bytes (fewer at the end). */
  async read(n: number): Promise<Uint8Array> {
    const got = await this.fill(n);
    const out = this.buffer.slice(0, got);
    this.consume(got);
    return out;
  }

  /** Consume up to `n` bytes as they arrive, without gathering them. */
  async *take(n: number): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0 && (await this.fill(1)) > 0) {
      const piece = this.buffer.subarray(0, Math.min(left, this.buffer.length));
      this.consume(piece.length);
      left -= piece.length;
      yield piece;
    }
  }

  /** Consume bytes while they are zero; returns how many. */
  async skipZeros(): Promise<number> {
    let skipped = 0;
    while ((await this.fill(1)) > 0) {
      const at = this.buffer.findIndex((b) => b !== 0);
      const n = at < 0 ? this.buffer.length : at;
      this.consume(n);
      skipped += n;
      if (at >= 0) break;
    }
    return skipped;
  }

  /** The unread rest, as it arrives. */
  async *rest(): AsyncGenerator<Uint8Array> {
    yield* this.take(Number.MAX_SAFE_INTEGER);
  }

  private consume(n: number): void {
    this.buffer = this.buffer.subarray(n);
    this.position += n;
  }
}
