// Dedupe's building blocks: a row's tag-set key, its hash partition, the partition scratch
// files of (position, key) records, and the bitset of rows to keep.
import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * The identity of a row as a string of UTF-16 code units, one per tag id, sorted and unique.
 * A JavaScript string key lets a plain Set do hashing and exact comparison. `scratch` is
 * reused between calls and grown when needed.
 */
export class TagSetKeys {
  private scratch = new Uint16Array(64);
  /** Number of ids in the last key (valid in `ids` until the next call). */
  length = 0;

  get ids(): Uint16Array {
    return this.scratch.subarray(0, this.length);
  }

  /** Sorts and de-duplicates seed ∪ generated into `ids`; returns the count. */
  collect(seed: ArrayLike<number>, generated: ArrayLike<number>): number {
    const n = seed.length + generated.length;
    if (n > this.scratch.length) this.scratch = new Uint16Array(n * 2);
    const s = this.scratch;
    for (let i = 0; i < seed.length; i++) s[i] = seed[i];
    for (let i = 0; i < generated.length; i++) s[seed.length + i] = generated[i];
    // Insertion sort: tag sets are short.
    for (let i = 1; i < n; i++) {
      const v = s[i];
      let j = i - 1;
      while (j >= 0 && s[j] > v) {
        s[j + 1] = s[j];
        j--;
      }
      s[j + 1] = v;
    }
    let m = 0;
    for (let i = 0; i < n; i++) if (m === 0 || s[i] !== s[m - 1]) s[m++] = s[i];
    this.length = m;
    return m;
  }

  key(seed: ArrayLike<number>, generated: ArrayLike<number>): string {
    this.collect(seed, generated);
    return keyOf(this.ids);
  }
}

export function keyOf(ids: Uint16Array): string {
  // fromCharCode over a typed array; chunked so huge tag sets stay under the argument limit.
  if (ids.length <= 4096) return String.fromCharCode.apply(null, ids as unknown as number[]);
  let out = '';
  for (let i = 0; i < ids.length; i += 4096)
    out += String.fromCharCode.apply(null, ids.subarray(i, i + 4096) as unknown as number[]);
  return out;
}

/** FNV-1a over the ids, then a murmur3 finaliser: spreads tag sets over partitions. */
export function partitionOf(ids: Uint16Array, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < ids.length; i++) h = Math.imul(h ^ ids[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % partitions;
}

/** Buffered appender of (position, ids) records as 16-bit words: lo, hi, count, ids… */
export class PartitionFile {
  private readonly fd: number;
  private buffer = new Uint16Array(32_768);
  private used = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  append(position: number, ids: Uint16Array): void {
    const need = 3 + ids.length;
    if (this.used + need > this.buffer.length) {
      this.flush();
      if (need > this.buffer.length) this.buffer = new Uint16Array(need * 2);
    }
    const b = this.buffer;
    b[this.used] = position & 0xffff;
    b[this.used + 1] = position >>> 16;
    b[this.used + 2] = ids.length;
    b.set(ids, this.used + 3);
    this.used += need;
  }

  flush(): void {
    if (this.used === 0) return;
    const bytes = new Uint8Array(this.buffer.buffer, 0, this.used * 2);
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export class Bitset {
  readonly bits: Uint8Array;
  constructor(size: number) {
    this.bits = new Uint8Array(Math.ceil(size / 8));
  }
  set(i: number): void {
    this.bits[i >>> 3] |= 1 << (i & 7);
  }
  has(i: number): boolean {
    return (this.bits[i >>> 3] & (1 << (i & 7))) !== 0;
  }
}
