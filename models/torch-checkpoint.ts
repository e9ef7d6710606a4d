// Reads a PyTorch `state_dict` checkpoint (torch.save's zip format) without Python.
//
// The zip holds `<prefix>/data.pkl` (a pickle of the state_dict whose tensors point at
// storages through persistent ids) and one raw file per storage, `<prefix>/data/<key>`.
// A checkpoint is untrusted input, so this reader:
//   - unpickles with an allowlist of globals (state_dict containers, tensor rebuilders and
//     storage classes) whose stand-ins only build inert records; any other global is refused
//     by name and nothing in the file is ever executed;
//   - checks every size the zip and the pickle declare (entry sizes, storage bytes, tensor
//     extents) against the bytes actually there before it allocates anything large.
import { type UnzipFileInfo, unzipSync } from 'fflate';
import { Parser } from 'pickleparser';
import { ValidationError } from '../core/errors.js';
import type { Tensor } from './vae-weights.js';

/** PyTorch's legacy storage classes (how torch.save names a storage's dtype) → dtype. */
const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
  QInt8Storage: 'qint8',
  QUInt8Storage: 'quint8',
  QInt32Storage: 'qint32',
};

/** The pickled state_dict is tiny next to its storages; anything bigger is not a checkpoint. */
const MAX_PICKLE_BYTES = 64 * 1024 * 1024;
/** The largest storage we materialise (a Float32Array of 2^29 elements). */
const MAX_STORAGE_BYTES = 2 * 1024 * 1024 * 1024;
const MAX_ZIP_ENTRIES = 100_000;
/** Deflate cannot expand data by more than ~1032:1; a larger claim is a lie. */
const MAX_DEFLATE_RATIO = 1032;

/** The legacy (pre-1.6, non-zip) torch.save format starts with this pickled magic number. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8];

class StorageType {
  constructor(
    readonly name: string,
    readonly dtype: string,
  ) {
    Object.freeze(this);
  }
}

class StorageRef {
  constructor(
    readonly type: StorageType,
    readonly key: string,
    readonly numel: number,
  ) {
    Object.freeze(this);
  }
}

class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {
    Object.freeze(this);
  }
}

/** Python's `collections.OrderedDict` and `dict`: a Map (never a plain object: no __proto__ keys). */
function makeDict(items?: unknown): Map<unknown, unknown> {
  const map = new Map<unknown, unknown>();
  if (Array.isArray(items))
    for (const pair of items) if (Array.isArray(pair)) map.set(pair[0], pair[1]);
  return map;
}

function isNonNegativeInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function shapeText(shape: readonly unknown[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Parses a PyTorch zip checkpoint holding a state_dict of float32 tensors. `source` names the
 * file in errors. BatchNorm's `num_batches_tracked` counters (int64 bookkeeping, unused in
 * eval mode) are dropped; any other non-float32 tensor is refused.
 */
export function readTorchStateDict(bytes: Uint8Array, source: string): Record<string, Tensor> {
  const where = `checkpoint ${source}`;
  const zip = openZip(bytes, where);

  const pickles = [...zip.entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw new ValidationError(
      pickles.length === 0
        ? `${where}: not a PyTorch checkpoint (the zip has no <folder>/data.pkl)`
        : `${where}: not a PyTorch checkpoint (the zip has several data.pkl: ${pickles.join(', ')})`,
    );
  }
  const prefix = pickles[0].slice(0, -'data.pkl'.length);
  const pickle = zip.extract(pickles[0], MAX_PICKLE_BYTES);
  const byteOrderEntry = zip.entries.has(`${prefix}byteorder`)
    ? new TextDecoder().decode(zip.extract(`${prefix}byteorder`, 16)).trim()
    : 'little'; // written since PyTorch 1.13; older checkpoints are little-endian
  if (byteOrderEntry !== 'little' && byteOrderEntry !== 'big') {
    throw new ValidationError(
      `${where}: unknown byte order "${byteOrderEntry}" in ${prefix}byteorder`,
    );
  }

  const root = unpickle(pickle, where);
  const entries = stateDictEntries(root, where);

  // Validate every tensor against its storage's declared and actual size before reading any.
  const wanted: [string, TensorRef][] = [];
  for (const [name, ref] of entries) {
    const { storage } = ref;
    if (storage.type.dtype !== 'float32') {
      if (name.endsWith('.num_batches_tracked')) continue;
      throw new ValidationError(
        `${where}: tensor "${name}" has dtype ${storage.type.dtype} (torch.${storage.type.name}); only float32 is supported (convert with model.float() before torch.save)`,
      );
    }
    const entryName = `${prefix}data/${storage.key}`;
    const info = zip.entries.get(entryName);
    if (!info)
      throw new ValidationError(
        `${where}: tensor "${name}" refers to storage ${entryName}, which is not in the zip`,
      );
    const storageBytes = storage.numel * 4;
    if (info.originalSize !== storageBytes) {
      throw new ValidationError(
        `${where}: storage ${entryName} declares ${storage.numel} float32 elements (${storageBytes} bytes) but the zip entry holds ${info.originalSize} bytes`,
      );
    }
    let elements = 1;
    let lastIndex = ref.offset;
    for (let d = 0; d < ref.shape.length; d++) {
      elements *= ref.shape[d];
      lastIndex += (ref.shape[d] - 1) * ref.stride[d];
    }
    if (elements > 0 && (!Number.isSafeInteger(lastIndex) || lastIndex >= storage.numel)) {
      throw new ValidationError(
        `${where}: tensor "${name}" of shape ${shapeText(ref.shape)} (offset ${ref.offset}, strides ${shapeText(ref.stride)}) reaches element ${lastIndex} but its storage ${entryName} holds ${storage.numel}`,
      );
    }
    wanted.push([name, ref]);
  }

  const storages = new Map<string, DataView>();
  // No prototype: a tensor named "__proto__" or "constructor" is just a (wrong) name.
  const tensors: Record<string, Tensor> = Object.create(null);
  for (const [name, ref] of wanted) {
    const entryName = `${prefix}data/${ref.storage.key}`;
    let view = storages.get(entryName);
    if (!view) {
      const data = zip.extract(entryName, MAX_STORAGE_BYTES);
      view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      storages.set(entryName, view);
    }
    tensors[name] = gather(view, ref, byteOrderEntry === 'little');
  }
  return tensors;
}

/** Copies a (possibly strided, offset) view of a float32 storage into a dense row-major tensor. */
function gather(view: DataView, ref: TensorRef, littleEndian: boolean): Tensor {
  const shape = [...ref.shape];
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  if (count === 0) return { shape, data };
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let position = ref.offset;
  for (let i = 0; i < count; i++) {
    data[i] = view.getFloat32(position * 4, littleEndian);
    // Advance the multi-index like an odometer, adjusting the storage position by strides.
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) {
        position += ref.stride[d];
        break;
      }
      index[d] = 0;
      position -= (shape[d] - 1) * ref.stride[d];
    }
  }
  return { shape, data };
}

interface Zip {
  entries: Map<string, UnzipFileInfo>;
  extract(name: string, maxBytes: number): Uint8Array;
}

function openZip(bytes: Uint8Array, where: string): Zip {
  const startsWith = (magic: number[]) => magic.every((b, i) => bytes[i] === b);
  if (startsWith(LEGACY_MAGIC)) {
    throw new ValidationError(
      `${where}: uses PyTorch's legacy (pre-1.6) format; re-save it with torch.save(state_dict, path) from PyTorch 1.6 or later`,
    );
  }
  const looksLikeZip = startsWith([0x50, 0x4b, 0x03, 0x04]);
  const entries = new Map<string, UnzipFileInfo>();
  try {
    // First pass reads only the central directory: nothing is inflated or copied.
    unzipSync(bytes, {
      filter: (info) => {
        if (entries.size >= MAX_ZIP_ENTRIES)
          throw new Error(`more than ${MAX_ZIP_ENTRIES} entries`);
        entries.set(info.name, { ...info });
        return false;
      },
    });
  } catch (err) {
    throw new ValidationError(
      looksLikeZip
        ? `${where}: truncated or damaged zip archive (${(err as Error).message}); download or copy the file again`
        : `${where}: not a zip archive, so not a PyTorch checkpoint saved by torch.save`,
    );
  }
  if (entries.size === 0) throw new ValidationError(`${where}: the zip archive is empty`);

  const extract = (name: string, maxBytes: number): Uint8Array => {
    const info = entries.get(name)!;
    const plausible =
      info.originalSize <= maxBytes &&
      info.size <= bytes.length &&
      (info.compression === 0
        ? info.size === info.originalSize
        : info.compression === 8 && info.originalSize <= info.size * MAX_DEFLATE_RATIO + 1024);
    if (!plausible) {
      throw new ValidationError(
        `${where}: zip entry ${name} declares ${info.originalSize} bytes from ${info.size} stored bytes (compression ${info.compression}); refusing it`,
      );
    }
    let data: Uint8Array | undefined;
    try {
      data = unzipSync(bytes, { filter: (f) => f.name === name })[name];
    } catch (err) {
      throw new ValidationError(
        `${where}: truncated or damaged zip entry ${name} (${(err as Error).message})`,
      );
    }
    if (!data || data.length !== info.originalSize) {
      throw new ValidationError(
        `${where}: truncated zip entry ${name}: expected ${info.originalSize} bytes, found ${data?.length ?? 0}`,
      );
    }
    return data;
  };
  return { entries, extract };
}

function unpickle(pickle: Uint8Array, where: string): unknown {
  const refuse = (module: string, name: string): never => {
    throw new ValidationError(
      `${where}: refuses pickle global "${module}.${name}" (only state_dict containers, tensors and storages are allowed; nothing in a checkpoint is executed)`,
    );
  };
  const asStorage = (value: unknown, what: string): StorageRef => {
    if (!(value instanceof StorageRef))
      throw new ValidationError(`${where}: ${what} is not a tensor storage`);
    return value;
  };
  const rebuildTensor = (
    storage: unknown,
    offset: unknown,
    size: unknown,
    stride: unknown,
  ): TensorRef => {
    const ref = asStorage(storage, 'a tensor rebuilt from data.pkl');
    const ints = (v: unknown) => Array.isArray(v) && v.every(isNonNegativeInt);
    if (
      !isNonNegativeInt(offset) ||
      !ints(size) ||
      !ints(stride) ||
      (size as number[]).length !== (stride as number[]).length
    ) {
      throw new ValidationError(
        `${where}: malformed tensor in data.pkl (offset ${String(offset)}, size ${JSON.stringify(size)}, stride ${JSON.stringify(stride)})`,
      );
    }
    return new TensorRef(ref, offset, [...(size as number[])], [...(stride as number[])]);
  };
  // Stand-ins for the allowed globals. Arrow functions: the unpickler can call them (REDUCE)
  // but cannot construct them, and each returns inert data.
  const allowed = new Map<string, unknown>([
    ['collections.OrderedDict', (items?: unknown) => makeDict(items)],
    ['builtins.dict', (items?: unknown) => makeDict(items)],
    ['torch._utils._rebuild_tensor', rebuildTensor],
    ['torch._utils._rebuild_tensor_v2', rebuildTensor],
    ['torch._utils._rebuild_parameter', (data: unknown) => data],
    ['torch._utils._rebuild_parameter_with_state', (data: unknown) => data],
  ]);
  for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) {
    allowed.set(`torch.${name}`, new StorageType(name, dtype));
  }

  const parser = new Parser({
    unpicklingTypeOfDictionary: 'Map',
    nameResolver: {
      // biome-ignore lint/suspicious/noExplicitAny: pickleparser's resolver type
      resolve: (module: string, name: string): any =>
        allowed.get(`${module}.${name}`) ?? refuse(module, name),
    },
    persistentResolver: {
      resolve: (pid: unknown) => {
        // ('storage', storage_type, key, location, numel)
        if (
          !Array.isArray(pid) ||
          pid[0] !== 'storage' ||
          !(pid[1] instanceof StorageType) ||
          typeof pid[2] !== 'string' ||
          !/^\w{1,64}$/.test(pid[2]) ||
          !isNonNegativeInt(pid[4])
        ) {
          throw new ValidationError(
            `${where}: data.pkl has an unsupported persistent id ${describe(pid)}`,
          );
        }
        return new StorageRef(pid[1], pid[2], pid[4]);
      },
    },
  });
  try {
    return parser.parse(pickle);
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new ValidationError(
      `${where}: data.pkl is not a readable pickle (${(err as Error).message})`,
    );
  }
}

/** The (name, tensor) pairs of the unpickled root, which must be a state_dict. */
function stateDictEntries(root: unknown, where: string): [string, TensorRef][] {
  if (!(root instanceof Map)) {
    throw new ValidationError(
      `${where}: not a state_dict (data.pkl holds ${describe(root)}, expected a dict of tensors; save model.state_dict())`,
    );
  }
  let dict: Map<unknown, unknown> = root;
  // Training checkpoints often wrap the weights: {'state_dict': …, 'epoch': …}.
  if (![...dict.values()].some((v) => v instanceof TensorRef)) {
    const nested = ['state_dict', 'model_state_dict']
      .map((k) => dict.get(k))
      .find((v) => v instanceof Map);
    if (nested instanceof Map) dict = nested;
  }
  const entries: [string, TensorRef][] = [];
  for (const [key, value] of dict) {
    if (typeof key !== 'string') {
      throw new ValidationError(
        `${where}: not a state_dict (it has a key ${describe(key)}, expected tensor names)`,
      );
    }
    if (!(value instanceof TensorRef)) {
      throw new ValidationError(
        `${where}: not a state_dict (entry "${key}" is ${describe(value)}, not a tensor)`,
      );
    }
    entries.push([key, value]);
  }
  if (entries.length === 0)
    throw new ValidationError(`${where}: not a state_dict (it holds no tensors)`);
  return entries;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (Array.isArray(value)) return `a list/tuple of ${value.length}`;
  if (value instanceof Map) return `a dict of ${value.size}`;
  if (value instanceof StorageRef) return 'a storage';
  if (value instanceof TensorRef) return 'a tensor';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'object' || typeof value === 'function') return 'an object';
  return `the ${typeof value} ${String(value)}`;
}
