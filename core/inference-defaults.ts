// How a worker runs its models unless told otherwise. A module of its own, importing
// nothing, so that `tagflow worker`'s option defaults load neither onnxruntime
// (core/generation) nor the count model (core/config-defaults).

/**
 * Inference threads per model session. Two: while one runs a batch, the other can run the next
 * one (side by side on two cores, the latent stage ran about 15 % faster than with one).
 */
export const DEFAULT_INFERENCE_THREADS = 2;
