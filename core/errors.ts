// Error kinds that decide what a workflow does with a failed stage.
//
// Temporal names an activity failure after the thrown error's `name`, and the workflow's
// retry policies list `ValidationError` as non-retryable: bad input fails the run at once
// with this message, while anything else (I/O hiccups, a lost worker) is retried.

/** Bad input or configuration: retrying cannot help. The message names what is wrong. */
export class ValidationError extends Error {
  override name = 'ValidationError';
}

/**
 * The Hugging Face Hub refused our credentials (missing or malformed HF_TOKEN, 401, 403):
 * retrying with the same token cannot help. The message never contains the token.
 */
export class HubAuthError extends Error {
  override name = 'HubAuthError';
}

/** The error type names the workflow must never retry. */
export const NON_RETRYABLE_ERROR_TYPES = ['ValidationError', 'HubAuthError'] as const;
