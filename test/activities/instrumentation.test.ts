import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InjectedFault,
  logActivityEvent,
  maybeFailAfterBatches,
  maybeFailAtStart,
  parseFaultRules,
} from '../../activities/instrumentation.js';
import { ValidationError } from '../../core/errors.js';
import { inActivity } from '../helpers/demo-activities.js';
import { tempDir } from '../helpers/pipeline.js';

const saved = { faults: process.env.TAGFLOW_FAULTS, log: process.env.TAGFLOW_ACTIVITY_LOG };
afterEach(() => {
  for (const [key, value] of [
    ['TAGFLOW_FAULTS', saved.faults],
    ['TAGFLOW_ACTIVITY_LOG', saved.log],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

/** Runs `fn` as attempt `attempt` of an activity; resolves with the error it threw, if any. */
const attempt = (attempt: number, fn: () => void) =>
  inActivity(async () => fn(), [], { attempt }).then(
    () => undefined,
    (err: unknown) => err,
  );

describe('parseFaultRules (TAGFLOW_FAULTS)', () => {
  it('reads activity names, optional @batches and *, ignoring blanks', () => {
    expect(parseFaultRules(undefined)).toEqual([]);
    expect(parseFaultRules('  ')).toEqual([]);
    expect(parseFaultRules('fitCounts, generateSeededChunk@3,,*')).toEqual([
      { activity: 'fitCounts', afterBatches: undefined },
      { activity: 'generateSeededChunk', afterBatches: 3 },
      { activity: '*', afterBatches: undefined },
    ]);
  });

  it('refuses an entry that would silently never fire', () => {
    for (const bad of ['generateSeededChunk@x', 'publish@', 'fit counts', 'a@1@2']) {
      expect(() => parseFaultRules(bad)).toThrow(ValidationError);
      expect(() => parseFaultRules(bad)).toThrow(`TAGFLOW_FAULTS: "${bad.trim()}"`);
    }
  });
});

describe('injected faults', () => {
  it('fail a listed activity at its start on the first attempt only', async () => {
    process.env.TAGFLOW_FAULTS = 'dedupe,split@2';
    const first = await attempt(1, () => maybeFailAtStart('dedupe'));
    expect(first).toBeInstanceOf(InjectedFault);
    expect((first as Error).message).toContain('injected fault in dedupe');
    expect(await attempt(2, () => maybeFailAtStart('dedupe'))).toBeUndefined();
    expect(await attempt(1, () => maybeFailAtStart('publish'))).toBeUndefined();
    // A rule with @N fires after batches, not at the start.
    expect(await attempt(1, () => maybeFailAtStart('split'))).toBeUndefined();
  });

  it('fail a chunk activity once N batches are written', async () => {
    process.env.TAGFLOW_FAULTS = 'generateLatentChunk@2';
    expect(await attempt(1, () => maybeFailAfterBatches('generateLatentChunk', 1))).toBe(undefined);
    const err = await attempt(1, () => maybeFailAfterBatches('generateLatentChunk', 2));
    expect((err as Error).message).toContain('after 2 batches');
    expect(await attempt(2, () => maybeFailAfterBatches('generateLatentChunk', 5))).toBe(undefined);
  });

  it('* fails every activity', async () => {
    process.env.TAGFLOW_FAULTS = '*';
    expect(await attempt(1, () => maybeFailAtStart('anything'))).toBeInstanceOf(InjectedFault);
  });
});

describe('logActivityEvent', () => {
  it('appends one JSON line per event with attempt and pid, only when TAGFLOW_ACTIVITY_LOG is set', async () => {
    const file = join(tempDir('activity-log'), 'log.jsonl');
    delete process.env.TAGFLOW_ACTIVITY_LOG;
    logActivityEvent({ activity: 'x', event: 'start' });
    process.env.TAGFLOW_ACTIVITY_LOG = file;
    await attempt(3, () => logActivityEvent({ activity: 'dedupe', event: 'finish', rows: 5 }));
    logActivityEvent({ activity: 'outside', event: 'start' });
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ activity: 'dedupe', event: 'finish', rows: 5, attempt: 3 });
    expect(lines[0].pid).toBe(process.pid);
    expect(lines[1].attempt).toBeUndefined();
  });
});
