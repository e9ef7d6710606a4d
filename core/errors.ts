// Error kinds that decide what a workflow does with a failed stage.
//
// Temporal names an activity failure after the thrown error's `name`, and the workflow's
// retry policies list NON_RETRYABLE_ERROR_TYPES as non-retryable: bad input fails the run at
// once with this message, while anything else (I/O hiccups, a lost worker) is retried.
// Deterministic faults are thrown as ValidationError too: a folder that may not be written,
// a file where a folder should be, a model pack onnxruntime cannot load or whose shapes
// disagree with its model.json. Retrying cannot fix those, only the user can.

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

/**
 * File-system error codes that the same operation meets again on a retry: permissions, a file
 * where a folder should be (or the other way round), a read-only file system, a bad name.
 */
const PERMANENT_FS_CODES = new Set([
  'EACCES',
  'EPERM',
  'ENOTDIR',
  'EISDIR',
  'EROFS',
  'ENAMETOOLONG',
  'ELOOP',
]);

/** The `code` of a Node.js system error (`EACCES`, …), if it is one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for a file-system error retrying cannot fix (see PERMANENT_FS_CODES). */
export function isPermanentFsError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && PERMANENT_FS_CODES.has(code);
}

/**
 * `err` as a non-retryable ValidationError (prefixed with `context`) when it is a permanent
 * file-system error; any other error is returned as it is.
 */
export function classifyFsError(err: unknown, context: string): unknown {
  if (!isPermanentFsError(err)) return err;
  // No `cause`: the CLI prints the innermost cause, and this message is the one to print.
  return new ValidationError(`${context}: ${(err as Error).message}`);
}
