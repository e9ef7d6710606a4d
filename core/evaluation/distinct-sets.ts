// Tag-set identity (a 64-bit hash of the sorted distinct ids) and distinct-set counting: exact
// in a hash set, then HyperLogLog estimates once there are too many to hold.
import { ValidationError } from '../errors.js';

// ---------------------------------------------------------------------------------------------
// Tag-set identity: a 64-bit hash of the sorted distinct ids

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function murmur3Lane(sorted: ArrayLike<number>, length: number, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < length; i++) {
    let k = Math.imul(sorted[i], 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix32(h ^ length);
}

/**
 * The 64-bit identity of a tag set, as two 32-bit MurmurHash3 lanes (different seeds) over its
 * sorted distinct ids. With 64 bits, even 10⁸ distinct sets collide with probability ≈ 3·10⁻⁴
 * (n²/2⁶⁵), so counting hashes instead of sets is exact for any practical purpose.
 */
export function tagSetKey(sorted: ArrayLike<number>): [number, number] {
  return [
    murmur3Lane(sorted, sorted.length, 0x9747b28c),
    murmur3Lane(sorted, sorted.length, 0x5bd1e995),
  ];
}

/**
 * A row's distinct tag ids in ascending order, written into `scratch` (a fresh array when the
 * row is longer than it) and returned as a view. Throws a ValidationError naming `where` for
 * ids outside the taxonomy.
 */
export function normalizeTagSet(
  tags: ArrayLike<number>,
  size: number,
  scratch: Int32Array,
  where: string,
): Int32Array {
  // A row longer than the taxonomy can only hold repeats; it still gets sorted, in a copy.
  const buffer = tags.length > scratch.length ? new Int32Array(tags.length) : scratch;
  for (let i = 0; i < tags.length; i++) {
    const id = tags[i];
    if (!Number.isInteger(id) || id < 0 || id >= size) {
      throw new ValidationError(
        `${where}: tag id ${id} is not in the taxonomy (expected an integer in 0..${size - 1})`,
      );
    }
    buffer[i] = id;
  }
  const view = buffer.subarray(0, tags.length).sort();
  let k = 0;
  for (let i = 0; i < view.length; i++) {
    if (i === 0 || view[i] !== view[i - 1]) view[k++] = view[i];
  }
  return view.subarray(0, k);
}

// ---------------------------------------------------------------------------------------------
// Distinct-set tracking

/** An open-addressing hash set of 64-bit keys (two uint32 lanes): 8 bytes a slot. */
export class KeySet64 {
  private keys: Uint32Array;
  private used: Uint8Array;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.keys = new Uint32Array(capacity * 2);
    this.used = new Uint8Array(capacity);
    this.mask = capacity - 1;
  }

  private slot(hi: number, lo: number): number {
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    while (this.used[i] && (this.keys[2 * i] !== hi || this.keys[2 * i + 1] !== lo)) {
      i = (i + 1) & this.mask;
    }
    return i;
  }

  has(hi: number, lo: number): boolean {
    return this.used[this.slot(hi >>> 0, lo >>> 0)] === 1;
  }

  /** Adds the key; true when it was not there yet. */
  add(hi: number, lo: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    let i = this.slot(hi, lo);
    if (this.used[i]) return false;
    if ((this.size + 1) * 10 > this.used.length * 7) {
      this.grow();
      i = this.slot(hi, lo);
    }
    this.used[i] = 1;
    this.keys[2 * i] = hi;
    this.keys[2 * i + 1] = lo;
    this.size++;
    return true;
  }

  /** Calls `fn` with every key, in slot order. */
  forEach(fn: (hi: number, lo: number) => void): void {
    for (let i = 0; i < this.used.length; i++) {
      if (this.used[i]) fn(this.keys[2 * i], this.keys[2 * i + 1]);
    }
  }

  private grow() {
    const oldKeys = this.keys;
    const oldUsed = this.used;
    const capacity = oldUsed.length * 2;
    this.keys = new Uint32Array(capacity * 2);
    this.used = new Uint8Array(capacity);
    this.mask = capacity - 1;
    for (let j = 0; j < oldUsed.length; j++) {
      if (!oldUsed[j]) continue;
      const i = this.slot(oldKeys[2 * j], oldKeys[2 * j + 1]);
      this.used[i] = 1;
      this.keys[2 * i] = oldKeys[2 * j];
      this.keys[2 * i + 1] = oldKeys[2 * j + 1];
    }
  }
}

const HLL_BITS = 14;
const HLL_REGISTERS = 1 << HLL_BITS;

/** HyperLogLog (2¹⁴ registers, 16 KiB, ≈0.8 % standard error) over 64-bit keys. */
export class HyperLogLog {
  private readonly registers = new Uint8Array(HLL_REGISTERS);

  add(hi: number, lo: number): void {
    const index = hi >>> (32 - HLL_BITS);
    const rest = (hi << HLL_BITS) >>> 0; // the remaining 18 bits of hi, at the top
    const rank = rest !== 0 ? Math.clz32(rest) + 1 : 32 - HLL_BITS + Math.clz32(lo >>> 0) + 1;
    if (rank > this.registers[index]) this.registers[index] = rank;
  }

  estimate(): number {
    const m = HLL_REGISTERS;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < m; i++) {
      sum += 2 ** -this.registers[i];
      if (this.registers[i] === 0) zeros++;
    }
    const raw = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
    // Small cardinalities: linear counting is the better estimate.
    return raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw;
  }
}

/** Default exact-tracking limit: 2²² distinct sets (a 64 MiB table at most) per tracker. */
export const DEFAULT_EXACT_DISTINCT_LIMIT = 1 << 22;

/**
 * Counts distinct tag sets and those absent from a reference: exact up to `exactLimit`, then
 * HyperLogLog estimates (all sets; novel ones), so memory stays bounded however many rows come.
 */
export class DistinctSets {
  private exactSet: KeySet64 | null = new KeySet64();
  private novelExact = 0;
  /** Rows (not sets) whose tag set occurs in the reference: copies of a reference row. */
  private copiedRows = 0;
  private allSketch: HyperLogLog | null = null;
  private novelSketch: HyperLogLog | null = null;

  constructor(
    private readonly reference: KeySet64 | null = null,
    private readonly exactLimit = DEFAULT_EXACT_DISTINCT_LIMIT,
  ) {}

  get exact(): boolean {
    return this.exactSet !== null;
  }

  /** The exact key set; null once tracking has switched to estimates. */
  get keys(): KeySet64 | null {
    return this.exactSet;
  }

  add(hi: number, lo: number): void {
    const novel = this.reference === null || !this.reference.has(hi, lo);
    if (!novel) this.copiedRows++;
    if (this.exactSet) {
      if (this.exactSet.add(hi, lo) && novel) this.novelExact++;
      if (this.exactSet.size > this.exactLimit) this.switchToSketches();
      return;
    }
    this.allSketch!.add(hi, lo);
    if (novel) this.novelSketch!.add(hi, lo);
  }

  /** Rows added whose tag set occurs in the reference (exact, whatever the distinct tracking). */
  get copies(): number {
    return this.copiedRows;
  }

  /** Number of distinct sets (estimated once no longer exact). */
  get count(): number {
    return this.exactSet ? this.exactSet.size : Math.round(this.allSketch!.estimate());
  }

  /** Number of distinct sets not in the reference (all of them without a reference). */
  get novelCount(): number {
    return this.exactSet ? this.novelExact : Math.round(this.novelSketch!.estimate());
  }

  private switchToSketches() {
    const all = new HyperLogLog();
    const novel = new HyperLogLog();
    this.exactSet!.forEach((hi, lo) => {
      all.add(hi, lo);
      if (this.reference === null || !this.reference.has(hi, lo)) novel.add(hi, lo);
    });
    this.allSketch = all;
    this.novelSketch = novel;
    this.exactSet = null;
  }
}
