import { describe, expect, it } from 'vitest';
import { AbortedError, TimeoutError, classifyCallError, classifyError, normalizeError } from '@chatdebug/sdk';

describe('error mapping (§7 item 44)', () => {
  const abort = new DOMException('aborted', 'AbortError');
  const timeout = new DOMException('timed out', 'TimeoutError');

  it('classifyError: none → completed, cancellation → interrupted, else error', () => {
    expect(classifyError(undefined)).toBe('completed');
    expect(classifyError(null)).toBe('completed');
    expect(classifyError(abort)).toBe('interrupted');
    expect(classifyError(new AbortedError())).toBe('interrupted');
    expect(classifyError(new Error('x'))).toBe('error');
    expect(classifyError(timeout)).toBe('error');
  });

  it('classifyCallError: cancellation and deadline → interrupted, else error', () => {
    expect(classifyCallError(abort)).toBe('interrupted');
    expect(classifyCallError(timeout)).toBe('interrupted');
    expect(classifyCallError(new TimeoutError('call', 5))).toBe('interrupted');
    expect(classifyCallError(Object.assign(new Error('user abort'), { name: 'APIUserAbortError' }))).toBe('interrupted');
    expect(classifyCallError(new Error('boom'))).toBe('error');
  });

  it('normalizeError keeps message, type and provider status', () => {
    class RateLimitError extends Error {
      status = 429;
    }
    expect(normalizeError(new RateLimitError('slow down'))).toEqual({ message: 'slow down', type: 'RateLimitError', provider_status: 429 });
    expect(normalizeError(abort)).toMatchObject({ context_error: 'canceled' });
    expect(normalizeError('plain')).toEqual({ message: 'plain', type: 'string' });
  });
});
