import { describe, expect, it } from 'vitest';
import { HubAuthError, NON_RETRYABLE_ERROR_TYPES, ValidationError } from '../../core/errors.js';

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
