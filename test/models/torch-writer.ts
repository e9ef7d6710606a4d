// Builds PyTorch-style zip checkpoints in TypeScript for tests: a small pickle (protocol 2)
// writer over a tiny value tree, and torch.save's zip layout (`<prefix>/data.pkl`,
// `<prefix>/data/<key>`, `<prefix>/byteorder`, stored uncompressed like torch does).
import { zipSync } from 'fflate';

export type PickleValue =
  | null
  | boolean
  | number
  | string
  | PickleValue[] // a tuple
  | { list: PickleValue[] }
  | { dict: [PickleValue, PickleValue][] }
  | { float: number }
  | { global: string } // "module name" → GLOBAL
  | { stackGlobal: string } // "module name" → STACK_GLOBAL
  | { inst: string; args: PickleValue[] } // INST opcode
  | { call: PickleValue; args: PickleValue[] } // callable, tuple, REDUCE
  | { persid: PickleValue } // BINPERSID
  | { orderedDict: [string, PickleValue][] }; // OrderedDict() + SETITEMS, as torch writes it

class Bytes {
  readonly parts: number[] = [];
  byte(...bytes: number[]) {
    this.parts.push(...bytes);
  }
  u32(value: number) {
    this.byte(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
  }
  ascii(text: string) {
    for (const c of text) this.byte(c.charCodeAt(0));
  }
  utf8(text: string) {
    const bytes = new TextEncoder().encode(text);
    this.u32(bytes.length);
    this.byte(...bytes);
  }
}

const MARK = 0x28;

function write(out: Bytes, value: PickleValue): void {
  if (value === null || value === true || value === false) {
    out.byte(value === null ? 0x4e : value ? 0x88 : 0x89); // NONE, NEWTRUE, NEWFALSE
    return;
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) {
      out.byte(0x4a); // BININT
      out.u32(value >>> 0);
      return;
    }
    // LONG1, little-endian two's complement
    let v = BigInt(value);
    const bytes: number[] = [];
    while (v !== 0n && v !== -1n) {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
    }
    // Two's complement: a positive number whose top bit is set needs a zero sign byte.
    if (value > 0 && bytes[bytes.length - 1] >= 0x80) bytes.push(0);
    out.byte(0x8a, bytes.length, ...bytes);
    return;
  }
  if (typeof value === 'string') {
    out.byte(0x58); // BINUNICODE
    out.utf8(value);
    return;
  }
  if (Array.isArray(value)) {
    out.byte(MARK);
    for (const item of value) write(out, item);
    out.byte(0x74); // TUPLE
    return;
  }
  if ('list' in value) {
    out.byte(0x5d, MARK); // EMPTY_LIST, MARK
    for (const item of value.list) write(out, item);
    out.byte(0x65); // APPENDS
    return;
  }
  if ('dict' in value) {
    out.byte(0x7d, MARK); // EMPTY_DICT, MARK
    for (const [k, v] of value.dict) {
      write(out, k);
      write(out, v);
    }
    out.byte(0x75); // SETITEMS
    return;
  }
  if ('float' in value) {
    out.byte(0x47); // BINFLOAT, big-endian
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, value.float, false);
    for (let i = 0; i < 8; i++) out.byte(b.getUint8(i));
    return;
  }
  if ('global' in value) {
    const [module, name] = value.global.split(' ');
    out.byte(0x63); // GLOBAL
    out.ascii(`${module}\n${name}\n`);
    return;
  }
  if ('stackGlobal' in value) {
    const [module, name] = value.stackGlobal.split(' ');
    write(out, module);
    write(out, name);
    out.byte(0x93); // STACK_GLOBAL
    return;
  }
  if ('inst' in value) {
    const [module, name] = value.inst.split(' ');
    out.byte(MARK);
    for (const arg of value.args) write(out, arg);
    out.byte(0x69); // INST
    out.ascii(`${module}\n${name}\n`);
    return;
  }
  if ('call' in value) {
    write(out, value.call);
    write(out, value.args);
    out.byte(0x52); // REDUCE
    return;
  }
  if ('persid' in value) {
    write(out, value.persid);
    out.byte(0x51); // BINPERSID
    return;
  }
  // orderedDict
  write(out, { call: { global: 'collections OrderedDict' }, args: [] });
  out.byte(MARK);
  for (const [k, v] of value.orderedDict) {
    write(out, k);
    write(out, v);
  }
  out.byte(0x75); // SETITEMS
}

/** A protocol-2 pickle of `value`. */
export function pickle(value: PickleValue): Uint8Array {
  const out = new Bytes();
  out.byte(0x80, 2); // PROTO 2
  write(out, value);
  out.byte(0x2e); // STOP
  return Uint8Array.from(out.parts);
}

export type StorageClass =
  | 'FloatStorage'
  | 'DoubleStorage'
  | 'LongStorage'
  | 'HalfStorage'
  | 'IntStorage';

export interface TensorSpec {
  /** Row-major values of the tensor (for float storages). */
  values?: ArrayLike<number>;
  shape: number[];
  /** Explicit storage, offset and strides, to write views (transposed, shared, offset). */
  storageKey?: string;
  offset?: number;
  stride?: number[];
  storageClass?: StorageClass;
}

export interface StorageSpec {
  storageClass: StorageClass;
  /** Element values; written as the storage class's element type. */
  values: ArrayLike<number>;
  /** Declared element count (default values.length) — lie about it to test the reader. */
  numel?: number;
}

/** Contiguous row-major strides of `shape`. */
export function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/** The pickle value torch.save writes for one tensor. */
export function tensorValue(
  storage: { storageClass: StorageClass; key: string; numel: number },
  offset: number,
  shape: number[],
  stride: number[],
): PickleValue {
  return {
    call: { global: 'torch._utils _rebuild_tensor_v2' },
    args: [
      {
        persid: [
          'storage',
          { global: `torch ${storage.storageClass}` },
          storage.key,
          'cpu',
          storage.numel,
        ],
      },
      offset,
      shape,
      stride,
      false,
      { call: { global: 'collections OrderedDict' }, args: [] },
    ],
  };
}

function storageBytes(spec: StorageSpec, littleEndian: boolean): Uint8Array {
  const size = { FloatStorage: 4, DoubleStorage: 8, LongStorage: 8, HalfStorage: 2, IntStorage: 4 }[
    spec.storageClass
  ];
  const bytes = new Uint8Array(spec.values.length * size);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < spec.values.length; i++) {
    const v = spec.values[i];
    if (spec.storageClass === 'FloatStorage') view.setFloat32(i * 4, v, littleEndian);
    else if (spec.storageClass === 'DoubleStorage') view.setFloat64(i * 8, v, littleEndian);
    else if (spec.storageClass === 'LongStorage') view.setBigInt64(i * 8, BigInt(v), littleEndian);
    else if (spec.storageClass === 'IntStorage') view.setInt32(i * 4, v, littleEndian);
    else view.setUint16(i * 2, 0, littleEndian);
  }
  return bytes;
}

/**
 * A torch.save-style zip of a state_dict. Tensors with `values` get their own contiguous
 * storage; tensors with `storageKey` are views into `storages`.
 */
export function buildCheckpoint(params: {
  tensors: Record<string, TensorSpec>;
  storages?: Record<string, StorageSpec>;
  prefix?: string;
  byteOrder?: 'little' | 'big' | null;
  /** Replace the pickled root (e.g. a list, or a malicious pickle). */
  root?: PickleValue;
  /** Replace data.pkl's bytes entirely. */
  pickleBytes?: Uint8Array;
  /** Deflate entries instead of storing them. */
  deflate?: boolean;
}): Uint8Array {
  const prefix = params.prefix ?? 'archive';
  const littleEndian = params.byteOrder !== 'big';
  const storages: Record<string, StorageSpec> = { ...(params.storages ?? {}) };
  const entries: [string, PickleValue][] = [];
  let nextKey = Object.keys(storages).length;
  for (const [name, spec] of Object.entries(params.tensors)) {
    let key = spec.storageKey;
    if (key === undefined) {
      key = String(nextKey++);
      storages[key] = {
        storageClass: spec.storageClass ?? 'FloatStorage',
        values: spec.values ?? new Float32Array(spec.shape.reduce((a, b) => a * b, 1)),
      };
    }
    const storage = storages[key];
    entries.push([
      name,
      tensorValue(
        {
          storageClass: storage.storageClass,
          key,
          numel: storage.numel ?? storage.values.length,
        },
        spec.offset ?? 0,
        spec.shape,
        spec.stride ?? contiguousStrides(spec.shape),
      ),
    ]);
  }
  const level = params.deflate ? 6 : 0;
  const files: Record<string, [Uint8Array, { level: 0 | 6 }]> = {
    [`${prefix}/data.pkl`]: [
      params.pickleBytes ?? pickle(params.root ?? { orderedDict: entries }),
      { level },
    ],
  };
  if (params.byteOrder !== null) {
    files[`${prefix}/byteorder`] = [
      new TextEncoder().encode(params.byteOrder ?? 'little'),
      { level },
    ];
  }
  for (const [key, spec] of Object.entries(storages)) {
    files[`${prefix}/data/${key}`] = [storageBytes(spec, littleEndian), { level }];
  }
  files[`${prefix}/version`] = [new TextEncoder().encode('3\n'), { level }];
  return zipSync(files);
}
