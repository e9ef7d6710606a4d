import { describe, expect, it } from 'vitest';
import { applyPreset, PRESETS } from '../../core/config-defaults.js';

describe('applyPreset', () => {
  const fit = { counts: { mode: 'fit', reference: 'corpus.csv' } };

  it('fills unset generation settings from the preset, keeping what the config sets', () => {
    const out = applyPreset({ ...fit, generation: { selection: 'sample', latent: { rows: 9 } } });
    expect(out.generation).toEqual({
      ...PRESETS.tagflow,
      selection: 'sample',
      latent: { prior: 'corpus', rows: 9 },
    });
    expect(applyPreset({ ...fit, preset: 'notebook' }).generation).toEqual(PRESETS.notebook);
  });

  it('gives a run without a corpus no corpus prior and no calibration under tagflow', () => {
    const out = applyPreset({ counts: { mode: 'params' } }).generation as Record<string, unknown>;
    expect(out.latent).toEqual({ prior: 'standard' });
    expect(out.calibration).toEqual({ enabled: false });
    const own = applyPreset({ counts: { mode: 'params' }, generation: { corpus: 'c.csv' } });
    expect((own.generation as Record<string, unknown>).latent).toEqual({ prior: 'corpus' });
  });

  it('leaves an unknown preset and a malformed generation for validation to name', () => {
    expect(applyPreset({ preset: 'x', generation: {} })).toEqual({ preset: 'x', generation: {} });
    expect(applyPreset({ generation: 3 })).toEqual({ generation: 3 });
  });
});
