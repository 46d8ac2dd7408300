import { describe, expect, it } from 'vitest';
import { nameStr } from '../../src/core/strings.js';
import { readHeader, validateRow } from '../../src/modules/people/students-import.rows.js';

describe('names (README "Names")', () => {
  const schema = nameStr(100);
  it('refuses invisible and bidi control characters, trims and NFC-normalises', () => {
    for (const bad of ['Sunshine\u200b Early\u202e Learning', 'A\u2066B', 'A\u200fB', 'A\ufeffB', 'A\u0000B', 'A\tB', 'A\u2029B']) expect(schema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    expect(schema.parse('  Cafe\u0301  ')).toBe('Caf\u00e9');
    expect(schema.parse('Łukasz 李')).toBe('Łukasz 李');
  });

  it('a CSV import row with a bidi override in a name is a row error', () => {
    const header = readHeader(['firstName', 'lastName', 'dateOfBirth', 'guardianFirstName', 'guardianLastName']);
    const ctx = { today: '2026-03-01', roomIds: new Set<string>() };
    const bad = validateRow(['Ann\u202e', 'Lee', '2022-01-01', 'Pat', 'Lee'], header, 1, ctx);
    expect(bad).toMatchObject({ errors: [{ row: 1, field: 'firstName' }] });
    const badGuardian = validateRow(['Ann', 'Lee', '2022-01-01', 'P\u200bat', 'Lee'], header, 2, ctx);
    expect(badGuardian).toMatchObject({ errors: [{ row: 2, field: 'guardianFirstName' }] });
    const ok = validateRow(['Jose\u0301', 'Lee', '2022-01-01', 'Pat', 'Lee'], header, 3, ctx);
    expect(ok).toMatchObject({ ok: { firstName: 'Jos\u00e9' } });
  });
});
