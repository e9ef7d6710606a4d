// Which `core/rng.ts` streams the trainer (and the demo-data generator) draw from.
//
// Everything here uses `Stage.Train`; the stream's `temperatureIndex` (meaningless for
// training) names the purpose instead, so purposes never share draws:
//
//   purpose         temperatureIndex  row key          draws
//   split           0                 corpus row       one uniform per row: its split rank
//   shuffle         1                 epoch            one permutation of the training rows
//   init            2                 0                one tfjs seed per weight tensor
//   step            3                 global step      tfjs seeds for that step's dropout mask and ε
//   evaluation      4                 corpus row       ε of the row's validation z (L normals)
//   demo catalogue  100               catalogue row    data/demo/demo-draws.ts
//   demo corpus     101               corpus row       data/demo/demo-draws.ts
//
// Weight initialisation, dropout masks and the reparameterisation noise are drawn by tfjs's
// own seeded ops (a seeded generator in JavaScript, so identical on every backend); their
// seeds come from the `init` and `step` streams, so the whole run is a function of one seed.
import { type RowStream, rowStream, Stage } from '../core/rng.js';

export const TrainStream = {
  split: 0,
  shuffle: 1,
  init: 2,
  step: 3,
  evaluation: 4,
  demoCatalogue: 100,
  demoCorpus: 101,
} as const;
export type TrainStreamPurpose = keyof typeof TrainStream;

/** The stream for one purpose of one training run (or of the demo generator). */
export function trainStream(seed: number, purpose: TrainStreamPurpose, row: number): RowStream {
  return rowStream({ seed, stage: Stage.Train, temperatureIndex: TrainStream[purpose], row });
}

/** A seed for one of tfjs's seeded ops: a positive integer below 2^31. */
export function tfjsSeed(stream: RowStream): number {
  return 1 + stream.int(2_147_483_646);
}
