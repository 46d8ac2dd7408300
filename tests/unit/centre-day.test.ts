import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { clientInstant, isTooFarAhead } from '../../src/kernel/day.js';

/** The one rule for a client-given instant (src/kernel/day.ts), shared by attendance, the care log, incidents and shifts. */
describe('clientInstant', () => {
  const now = new Date('2026-03-09T08:00:00.000Z');
  const fail = (value: string | undefined, field = 'at') => {
    try {
      clientInstant(value, field, now);
    } catch (e) {
      if (e instanceof AppError) return { status: e.status, message: e.message, details: e.details };
      throw e;
    }
    throw new Error('accepted');
  };

  it('defaults to now and accepts up to 5 minutes ahead (a drifting tablet clock)', () => {
    expect(clientInstant(undefined, 'at', now)).toBe(now);
    expect(clientInstant('2026-03-09T08:05:00.000Z', 'at', now).toISOString()).toBe('2026-03-09T08:05:00.000Z');
    expect(clientInstant('2026-03-01T08:00:00Z', 'at', now).toISOString()).toBe('2026-03-01T08:00:00.000Z');
    expect(isTooFarAhead(new Date('2026-03-09T08:05:00.000Z'), now)).toBe(false);
    expect(isTooFarAhead(new Date('2026-03-09T08:05:00.001Z'), now)).toBe(true);
  });

  it('more than 5 minutes ahead → 422 with one message, naming the field', () => {
    expect(fail('2026-03-09T08:05:00.001Z', 'occurredAt')).toEqual({
      status: 422,
      message: 'The time is in the future',
      details: [{ path: 'occurredAt', message: 'must not be more than 5 minutes ahead' }],
    });
  });

  it('not a date-time → 422 naming the field', () => {
    expect(fail('yesterday', 'checkInAt')).toEqual({ status: 422, message: 'Not a valid time', details: [{ path: 'checkInAt', message: 'must be an ISO 8601 date-time' }] });
  });
});
