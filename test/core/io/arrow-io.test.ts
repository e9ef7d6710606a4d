import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Field,
  Float64,
  Int32,
  type RecordBatch,
  Schema,
  Table,
  tableFromArrays,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  describeSchema,
  readArrowBatches,
  readArrowTable,
  sha256File,
  tempPathFor,
  writeArrowFile,
  writeArrowTable,
} from '../../../core/io/arrow-io.js';

const schema = new Schema([
  new Field('row', new Int32(), false),
  new Field('value', new Float64(), false),
  new Field('name', new Utf8(), true),
]);

function batchOf(start: number, length: number): RecordBatch {
  const table = new Table({
    row: vectorFromArray(Int32Array.from({ length }, (_, i) => start + i)),
    value: vectorFromArray(Float64Array.from({ length }, (_, i) => (start + i) / 4)),
    name: vectorFromArray(
      Array.from({ length }, (_, i) => ((start + i) % 3 === 0 ? null : `n${start + i}`)),
      new Utf8(),
    ),
  });
  return table.batches[0];
}

function freshDir() {
  return mkdtempSync(join(tmpdir(), 'tagflow-arrow-io-'));
}

describe('writeArrowFile', () => {
  it('writes batches atomically and describes the file in its manifest', async () => {
    const dir = freshDir();
    const path = join(dir, 'nested', 'out.arrow');
    const manifest = await writeArrowFile(path, schema, [batchOf(0, 100), batchOf(100, 50)]);
    const bytes = readFileSync(path);
    expect(manifest).toEqual({
      path,
      rows: 150,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      schema: ['row: Int32', 'value: Float64', 'name: Utf8?'],
    });
    expect(await sha256File(path)).toBe(manifest.sha256);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['out.arrow']);

    const table = await readArrowTable(path);
    expect(table.numRows).toBe(150);
    // The batches' fields are nullable (vectorFromArray); the file carries the declared schema.
    expect(describeSchema(table.schema)).toEqual(manifest.schema);
    expect(table.getChild('row')?.toArray()).toEqual(Int32Array.from({ length: 150 }, (_, i) => i));
    expect(table.getChild('name')?.get(3)).toBeNull();
    expect(table.getChild('name')?.get(4)).toBe('n4');
    expect(table.getChild('value')?.get(149)).toBe(149 / 4);
  });

  it('writes a valid zero-row file from an empty stream, skipping empty batches', async () => {
    const path = join(freshDir(), 'empty.arrow');
    const manifest = await writeArrowFile(path, schema, [batchOf(0, 0)], 'store://empty.arrow');
    expect(manifest.rows).toBe(0);
    expect(manifest.path).toBe('store://empty.arrow');
    const table = await readArrowTable(path);
    expect(table.numRows).toBe(0);
    expect(describeSchema(table.schema)).toEqual(describeSchema(schema));
  });

  it('accepts an async batch stream, and the same batches give byte-identical files', async () => {
    const dir = freshDir();
    async function* batches() {
      for (let start = 0; start < 1000; start += 250) {
        await sleep(1);
        yield batchOf(start, 250);
      }
    }
    const first = await writeArrowFile(join(dir, 'a.arrow'), schema, batches());
    const second = await writeArrowFile(join(dir, 'b.arrow'), schema, batches());
    expect(first.rows).toBe(1000);
    expect(second.sha256).toBe(first.sha256);
  });

  it('leaves no file and no temp file behind when the batch iterator fails', async () => {
    const dir = freshDir();
    const path = join(dir, 'out.arrow');
    async function* failing() {
      yield batchOf(0, 100);
      yield batchOf(100, 100);
      throw new Error('upstream exploded');
    }
    await expect(writeArrowFile(path, schema, failing())).rejects.toThrow('upstream exploded');
    expect(readdirSync(dir)).toEqual([]);
    // A write stream still opening when the error hit must not recreate the temp file later.
    await sleep(50);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves no temp file when the iterator fails before the first batch', async () => {
    const dir = freshDir();
    const broken = { ready: false };
    function* failing(): Generator<RecordBatch> {
      if (!broken.ready) throw new Error('nothing to give');
      yield batchOf(0, 1);
    }
    await expect(writeArrowFile(join(dir, 'out.arrow'), schema, failing())).rejects.toThrow(
      'nothing to give',
    );
    await sleep(50);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps the previous file intact when a rewrite fails', async () => {
    const dir = freshDir();
    const path = join(dir, 'out.arrow');
    const before = await writeArrowFile(path, schema, [batchOf(0, 10)]);
    async function* failing() {
      yield batchOf(0, 500);
      throw new Error('half way');
    }
    await expect(writeArrowFile(path, schema, failing())).rejects.toThrow('half way');
    expect(await sha256File(path)).toBe(before.sha256);
    expect(readdirSync(dir)).toEqual(['out.arrow']);
  });

  it('refuses a batch whose schema is not the declared one, leaving nothing behind', async () => {
    const dir = freshDir();
    const path = join(dir, 'out.arrow');
    const other = tableFromArrays({ other: Float64Array.from([1, 2, 3]) }).batches[0];
    await expect(writeArrowFile(path, schema, [batchOf(0, 5), other])).rejects.toThrow(/schema/);
    await expect(writeArrowFile(path, schema, [other])).rejects.toThrow(/schema/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses nulls in a column the declared schema makes non-nullable', async () => {
    const dir = freshDir();
    const withNull = new Table({
      row: vectorFromArray([1, null, 3], new Int32()),
      value: vectorFromArray(Float64Array.from([1, 2, 3])),
      name: vectorFromArray(['a', 'b', 'c'], new Utf8()),
    }).batches[0];
    await expect(writeArrowFile(join(dir, 'out.arrow'), schema, [withNull])).rejects.toThrow(
      'column row holds nulls',
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writeArrowTable writes every batch of a table', async () => {
    const path = join(freshDir(), 't.arrow');
    const table = new Table([batchOf(0, 3), batchOf(3, 4)]);
    const manifest = await writeArrowTable(path, table);
    expect(manifest.rows).toBe(7);
    expect((await readArrowTable(path)).getChild('row')?.toArray()).toEqual(
      Int32Array.from([0, 1, 2, 3, 4, 5, 6]),
    );
  });
});

describe('readArrowBatches', () => {
  it('iterates the batches of a file in order', async () => {
    const path = join(freshDir(), 'b.arrow');
    await writeArrowFile(path, schema, [batchOf(0, 3), batchOf(3, 5), batchOf(8, 2)]);
    const sizes: number[] = [];
    const rows: number[] = [];
    for await (const batch of readArrowBatches(path)) {
      sizes.push(batch.numRows);
      rows.push(...(batch.getChild('row')?.toArray() ?? []));
    }
    expect(sizes).toEqual([3, 5, 2]);
    expect(rows).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('reads the IPC stream format too', async () => {
    const path = join(freshDir(), 's.arrows');
    const table = new Table([batchOf(0, 4), batchOf(4, 4)]);
    writeFileSync(path, tableToIPC(table, 'stream'));
    let rows = 0;
    for await (const batch of readArrowBatches(path)) rows += batch.numRows;
    expect(rows).toBe(8);
    expect((await readArrowTable(path)).numRows).toBe(8);
  });
});

describe('tempPathFor', () => {
  it('is beside the target and unique per call', () => {
    const a = tempPathFor('/x/y/out.arrow');
    const b = tempPathFor('/x/y/out.arrow');
    expect(a.startsWith('/x/y/out.arrow.tmp-')).toBe(true);
    expect(a).not.toBe(b);
    expect(existsSync(a)).toBe(false);
  });
});
