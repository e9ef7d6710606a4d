import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.js';
import { readTorchStateDict } from '../../models/torch-checkpoint.js';
import { conceptcaps } from '../helpers/conceptcaps.js';
import { buildCheckpoint, type PickleValue, pickle, tensorValue } from './torch-writer.js';

const read = (bytes: Uint8Array) => readTorchStateDict(bytes, 'test.pth');
const readError = (bytes: Uint8Array): ValidationError => {
  try {
    read(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('expected the checkpoint to be refused');
};

const simple = { tensors: { w: { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] } } };

describe('readTorchStateDict on the ConceptCaps checkpoint', () => {
  it('reads every tensor with the shapes its README lists', () => {
    const tensors = readTorchStateDict(readFileSync(conceptcaps('vae_final.pth')), 'vae_final.pth');
    const shapes = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape]));
    expect(shapes).toEqual({
      'fc1.weight': [512, 200],
      'fc1.bias': [512],
      'fc2_mu.weight': [128, 512],
      'fc2_mu.bias': [128],
      'fc2_logvar.weight': [128, 512],
      'fc2_logvar.bias': [128],
      'fc3.weight': [512, 128],
      'fc3.bias': [512],
      'fc4.weight': [200, 512],
      'fc4.bias': [200],
    });
    for (const t of Object.values(tensors)) {
      expect(t.data).toBeInstanceOf(Float32Array);
      expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
      expect(t.data.every(Number.isFinite)).toBe(true);
    }
  });
});

describe('readTorchStateDict on built checkpoints', () => {
  it('reads contiguous tensors, including 0-d and empty ones', () => {
    const tensors = read(
      buildCheckpoint({
        tensors: {
          w: { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] },
          scalar: { shape: [], values: [7.5] },
          empty: { shape: [0, 4], values: [] },
        },
      }),
    );
    expect(tensors.w).toEqual({ shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
    expect(tensors.scalar).toEqual({ shape: [], data: Float32Array.from([7.5]) });
    expect(tensors.empty).toEqual({ shape: [0, 4], data: new Float32Array(0) });
  });

  it('honours storage offsets, strides and storages shared between tensors', () => {
    // One storage of 12 floats: a transposed [3, 2] view, and two [2] slices at offsets.
    const values = Array.from({ length: 12 }, (_, i) => i + 0.25);
    const tensors = read(
      buildCheckpoint({
        storages: { s: { storageClass: 'FloatStorage', values } },
        tensors: {
          // storage[0..5] as a row-major [2, 3] matrix M; the tensor is Mᵀ: [3, 2], strides [1, 3]
          transposed: { shape: [3, 2], storageKey: 's', stride: [1, 3] },
          slice: { shape: [2], storageKey: 's', offset: 7 },
          everyOther: { shape: [3], storageKey: 's', offset: 6, stride: [2] },
        },
      }),
    );
    const m = (r: number, c: number) => values[r * 3 + c];
    expect([...tensors.transposed.data]).toEqual([
      m(0, 0),
      m(1, 0),
      m(0, 1),
      m(1, 1),
      m(0, 2),
      m(1, 2),
    ]);
    expect([...tensors.slice.data]).toEqual([values[7], values[8]]);
    expect([...tensors.everyOther.data]).toEqual([values[6], values[8], values[10]]);
  });

  it('reads big-endian storages, deflated entries and checkpoints without a byteorder file', () => {
    const expected = Float32Array.from([1.5, -2.25, 3e-7, 4e6, 0, -0]);
    for (const options of [{ byteOrder: 'big' as const }, { deflate: true }, { byteOrder: null }]) {
      const tensors = read(
        buildCheckpoint({ ...options, tensors: { w: { shape: [2, 3], values: expected } } }),
      );
      expect(tensors.w.data).toEqual(expected);
    }
  });

  it("drops BatchNorm's int64 num_batches_tracked counters", () => {
    const tensors = read(
      buildCheckpoint({
        tensors: {
          'bn1.weight': { shape: [2], values: [1, 2] },
          'bn1.num_batches_tracked': { shape: [], values: [12], storageClass: 'LongStorage' },
        },
      }),
    );
    expect(Object.keys(tensors)).toEqual(['bn1.weight']);
  });

  it("unwraps a training checkpoint's {'state_dict': …} and rebuilt parameters", () => {
    const storage = { storageClass: 'FloatStorage' as const, key: '0', numel: 2 };
    const parameter: PickleValue = {
      call: { global: 'torch._utils _rebuild_parameter' },
      args: [tensorValue(storage, 0, [2], [1]), true, { orderedDict: [] }],
    };
    const tensors = read(
      buildCheckpoint({
        storages: { '0': { storageClass: 'FloatStorage', values: [3, 4] } },
        tensors: {},
        root: {
          dict: [
            ['epoch', 12],
            ['state_dict', { orderedDict: [['w', parameter]] }],
          ],
        },
      }),
    );
    expect(tensors).toEqual({ w: { shape: [2], data: Float32Array.from([3, 4]) } });
  });
});

describe('readTorchStateDict refuses bad checkpoints', () => {
  it('refuses a file that is not a zip', () => {
    const error = readError(new TextEncoder().encode('{"fc1.weight": [1, 2, 3]}'));
    expect(error.message).toBe(
      'checkpoint test.pth: not a zip archive, so not a PyTorch checkpoint saved by torch.save',
    );
  });

  it("names PyTorch's legacy non-zip format", () => {
    const legacy = Uint8Array.from([
      0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
    ]);
    expect(readError(legacy).message).toMatch(
      /^checkpoint test\.pth: uses PyTorch's legacy \(pre-1\.6\) format/,
    );
  });

  it('refuses a truncated zip', () => {
    const bytes = buildCheckpoint(simple);
    const error = readError(bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    expect(error.message).toMatch(
      /^checkpoint test\.pth: truncated or damaged zip archive \(.+\); download or copy the file again$/,
    );
  });

  it('refuses a zip entry that declares more bytes than it stores, before allocating them', () => {
    const bytes = buildCheckpoint(simple).slice();
    // Patch the central-directory record of archive/data/0: uncompressed size := 2 GiB - 16.
    const name = new TextEncoder().encode('archive/data/0');
    const view = new DataView(bytes.buffer);
    let patched = false;
    for (let i = 0; i + 46 < bytes.length; i++) {
      if (view.getUint32(i, true) !== 0x02014b50) continue;
      const nameLength = view.getUint16(i + 28, true);
      const entryName = bytes.subarray(i + 46, i + 46 + nameLength);
      if (nameLength === name.length && entryName.every((b, k) => b === name[k])) {
        view.setUint32(i + 24, 0x7ffffff0, true);
        patched = true;
      }
    }
    expect(patched).toBe(true);
    // The declared size no longer matches the storage (6 floats): refused on sizes alone.
    expect(readError(bytes).message).toBe(
      'checkpoint test.pth: storage archive/data/0 declares 6 float32 elements (24 bytes) but the zip entry holds 2147483632 bytes',
    );
  });

  it('refuses a storage whose declared element count exceeds its bytes', () => {
    const bytes = buildCheckpoint({
      storages: {
        '0': { storageClass: 'FloatStorage', values: [1, 2, 3, 4], numel: 1_000_000_000 },
      },
      tensors: { w: { shape: [1_000_000_000], storageKey: '0' } },
    });
    expect(readError(bytes).message).toBe(
      'checkpoint test.pth: storage archive/data/0 declares 1000000000 float32 elements (4000000000 bytes) but the zip entry holds 16 bytes',
    );
  });

  it('refuses a tensor whose shape reaches past its storage', () => {
    const bytes = buildCheckpoint({
      storages: { '0': { storageClass: 'FloatStorage', values: new Float32Array(50) } },
      tensors: { 'fc1.weight': { shape: [10, 10], storageKey: '0' } },
    });
    expect(readError(bytes).message).toBe(
      'checkpoint test.pth: tensor "fc1.weight" of shape [10, 10] (offset 0, strides [10, 1]) reaches element 99 but its storage archive/data/0 holds 50',
    );
    const huge = buildCheckpoint({
      storages: { '0': { storageClass: 'FloatStorage', values: new Float32Array(4) } },
      tensors: { w: { shape: [100_000, 100_000], storageKey: '0' } },
    });
    expect(readError(huge).message).toMatch(/tensor "w" of shape \[100000, 100000\] .* holds 4$/);
  });

  it('refuses non-float32 tensors, naming the dtype', () => {
    const float64 = buildCheckpoint({
      tensors: { 'fc1.weight': { shape: [2], values: [1, 2], storageClass: 'DoubleStorage' } },
    });
    expect(readError(float64).message).toBe(
      'checkpoint test.pth: tensor "fc1.weight" has dtype float64 (torch.DoubleStorage); only float32 is supported (convert with model.float() before torch.save)',
    );
    const int64 = buildCheckpoint({
      tensors: { 'fc1.bias': { shape: [2], values: [1, 2], storageClass: 'LongStorage' } },
    });
    expect(readError(int64).message).toMatch(
      /tensor "fc1\.bias" has dtype int64 \(torch\.LongStorage\)/,
    );
    const half = buildCheckpoint({
      tensors: { w: { shape: [2], values: [1, 2], storageClass: 'HalfStorage' } },
    });
    expect(readError(half).message).toMatch(/tensor "w" has dtype float16 \(torch\.HalfStorage\)/);
  });

  it('refuses a pickle that is not a state_dict', () => {
    const list = buildCheckpoint({ tensors: {}, root: { list: [1, 2, 3] } });
    expect(readError(list).message).toBe(
      'checkpoint test.pth: not a state_dict (data.pkl holds a list/tuple of 3, expected a dict of tensors; save model.state_dict())',
    );
    const mixed = buildCheckpoint({
      tensors: {},
      root: { orderedDict: [['epoch', 3]] },
    });
    expect(readError(mixed).message).toBe(
      'checkpoint test.pth: not a state_dict (entry "epoch" is the number 3, not a tensor)',
    );
    const empty = buildCheckpoint({ tensors: {}, root: { orderedDict: [] } });
    expect(readError(empty).message).toBe(
      'checkpoint test.pth: not a state_dict (it holds no tensors)',
    );
  });

  it('refuses a zip without data.pkl, a missing storage and an unreadable pickle', () => {
    expect(readError(buildCheckpoint({ ...simple, prefix: 'a/b' })).message).toBe(
      'checkpoint test.pth: not a PyTorch checkpoint (the zip has no <folder>/data.pkl)',
    );
    const missingStorage = buildCheckpoint({
      tensors: {},
      root: {
        orderedDict: [
          ['w', tensorValue({ storageClass: 'FloatStorage', key: '9', numel: 2 }, 0, [2], [1])],
        ],
      },
    });
    expect(readError(missingStorage).message).toBe(
      'checkpoint test.pth: tensor "w" refers to storage archive/data/9, which is not in the zip',
    );
    const garbage = buildCheckpoint({
      ...simple,
      pickleBytes: Uint8Array.from([0x80, 0x02, 0xff]),
    });
    expect(readError(garbage).message).toMatch(
      /^checkpoint test\.pth: data\.pkl is not a readable pickle \(/,
    );
  });
});

describe('readTorchStateDict never runs what a pickle names', () => {
  const withRoot = (root: PickleValue) => buildCheckpoint({ tensors: {}, root });
  const refusal = (global: string) =>
    `checkpoint test.pth: refuses pickle global "${global}" (only state_dict containers, tensors and storages are allowed; nothing in a checkpoint is executed)`;

  it('refuses os.system called through GLOBAL + REDUCE', () => {
    const root: PickleValue = { call: { global: 'os system' }, args: ['touch /tmp/tagflow-pwned'] };
    expect(readError(withRoot(root)).message).toBe(refusal('os.system'));
  });

  it('refuses builtins.eval through STACK_GLOBAL, and posix.system through INST', () => {
    expect(
      readError(withRoot({ call: { stackGlobal: 'builtins eval' }, args: ['1+1'] })).message,
    ).toBe(refusal('builtins.eval'));
    expect(readError(withRoot({ inst: 'posix system', args: ['id'] })).message).toBe(
      refusal('posix.system'),
    );
  });

  it('refuses a payload hidden inside an otherwise valid state_dict', () => {
    const storage = { storageClass: 'FloatStorage' as const, key: '0', numel: 6 };
    const root: PickleValue = {
      orderedDict: [
        ['w', tensorValue(storage, 0, [2, 3], [3, 1])],
        ['hooks', { call: { global: 'subprocess Popen' }, args: [{ list: ['id'] }] }],
      ],
    };
    const bytes = buildCheckpoint({
      storages: { '0': { storageClass: 'FloatStorage', values: [1, 2, 3, 4, 5, 6] } },
      tensors: {},
      root,
    });
    expect(readError(bytes).message).toBe(refusal('subprocess.Popen'));
  });

  it('refuses an allowed rebuilder fed something that is not a storage', () => {
    const root: PickleValue = {
      orderedDict: [
        [
          'w',
          {
            call: { global: 'torch._utils _rebuild_tensor_v2' },
            args: ['0', 0, [2], [1], false, null],
          },
        ],
      ],
    };
    expect(readError(withRoot(root)).message).toBe(
      'checkpoint test.pth: a tensor rebuilt from data.pkl is not a tensor storage',
    );
  });

  it('refuses a persistent id that is not a storage reference', () => {
    const root: PickleValue = {
      orderedDict: [['w', { persid: ['storage', 'FloatStorage', '../../etc/passwd', 'cpu', 2] }]],
    };
    expect(readError(withRoot(root)).message).toMatch(
      /^checkpoint test\.pth: data\.pkl has an unsupported persistent id/,
    );
  });

  it('the pickle writer itself produces what Python would (a sanity check of the helper)', () => {
    // CPython's pickle.loads reads these bytes as ('a', 1, True, None).
    expect([...pickle(['a', 1, true, null])]).toEqual([
      0x80, 0x02, 0x28, 0x58, 1, 0, 0, 0, 0x61, 0x4a, 1, 0, 0, 0, 0x88, 0x4e, 0x74, 0x2e,
    ]);
  });
});

describe('readTorchStateDict with hostile tensor names', () => {
  it('keeps "__proto__" as an ordinary key instead of changing the result\'s prototype', () => {
    const tensors = read(
      buildCheckpoint({
        tensors: {
          ['__proto__']: { shape: [1], values: [1] },
          constructor: { shape: [1], values: [2] },
        },
      }),
    );
    expect(Object.keys(tensors)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(tensors)).toBe(null);
  });
});
