import { describe, expect, it } from 'vitest';
import {
  classifyFsError,
  HubAuthError,
  isPermanentFsError,
  NON_RETRYABLE_ERROR_TYPES,
  ValidationError,
} from '../../core/errors.js';

describe('error kinds', () => {
  it('name themselves, so Temporal reports the failure type the retry policy matches', () => {
    const validation = new ValidationError('bad row 3');
    const auth = new HubAuthError('token refused');
    expect(validation.name).toBe('ValidationError');
    expect(auth.name).toBe('HubAuthError');
    expect(validation).toBeInstanceOf(Error);
    expect(validation.message).toBe('bad row 3');
    expect(String(auth)).toBe('HubAuthError: token refused');
  });

  it('lists exactly the kinds retrying cannot help as non-retryable', () => {
    expect([...NON_RETRYABLE_ERROR_TYPES].sort()).toEqual(
      [new ValidationError('').name, new HubAuthError('').name].sort(),
    );
    expect(NON_RETRYABLE_ERROR_TYPES).not.toContain(new Error('x').name);
  });
});

describe('classifyFsError', () => {
  const fsError = (code: string) =>
    Object.assign(new Error(`${code}: failed, mkdir '/x/y'`), { code });

  it('makes permission and file-type errors non-retryable, with the context and the cause', () => {
    for (const code of ['EACCES', 'EPERM', 'ENOTDIR', 'EISDIR', 'EROFS']) {
      expect(isPermanentFsError(fsError(code))).toBe(true);
      const classified = classifyFsError(fsError(code), 'artifact store /x');
      expect(classified).toBeInstanceOf(ValidationError);
      expect((classified as Error).message).toBe(
        `artifact store /x: ${code}: failed, mkdir '/x/y'`,
      );
    }
  });

  it('leaves errors a retry may get past as they are', () => {
    for (const err of [fsError('EIO'), fsError('EBUSY'), fsError('ENOENT'), new Error('x'), 'x']) {
      expect(isPermanentFsError(err)).toBe(false);
      expect(classifyFsError(err, 'here')).toBe(err);
    }
  });
});
