import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prefers } from '../../src/api/negotiate.js';
import { currencyDigits, entryDescription, formatMoney } from '../../src/modules/billing/statement-pdf.js';

describe('formatMoney: integer minor units to text, no float on the way', () => {
  it('the currency’s minor-unit digits, thousands separators and the sign', () => {
    expect(formatMoney(0, 'USD')).toBe('USD 0.00');
    expect(formatMoney(5, 'USD')).toBe('USD 0.05');
    expect(formatMoney(-61935, 'USD')).toBe('USD -619.35');
    expect(formatMoney(123456789, 'EUR')).toBe('EUR 1,234,567.89');
    expect(formatMoney(1234567, 'JPY')).toBe('JPY 1,234,567');
    expect(formatMoney(-1234567, 'KWD')).toBe('KWD -1,234.567');
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'USD')).toBe('USD 90,071,992,547,409.91');
    expect(currencyDigits('XYZ-not-a-code')).toBe(2);
    expect(() => formatMoney(0.1, 'USD')).toThrow(RangeError);
  });

  it('reads back to the same integer for any safe amount', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.constantFrom('USD', 'JPY', 'KWD', 'NZD'), (n, cur) => {
        const text = formatMoney(n, cur).slice(cur.length + 1).replace(/[,.]/g, '');
        expect(BigInt(text)).toBe(BigInt(n));
      }),
    );
  });

  it('describes an entry by its type, invoice number and memo', () => {
    expect(entryDescription({ effectiveDate: '2025-01-01', type: 'invoice', memo: 'Invoice 4 (2025-01)', invoiceNumber: 4, amount: 1 })).toBe('Invoice 4 (2025-01)');
    expect(entryDescription({ effectiveDate: '2025-01-01', type: 'void', memo: 'Wrong family', invoiceNumber: 4, amount: -1 })).toBe('Invoice voided #4: Wrong family');
    expect(entryDescription({ effectiveDate: '2025-01-01', type: 'credit', memo: '', invoiceNumber: null, amount: -1 })).toBe('Credit');
  });
});

describe('prefers: content negotiation (JSON unless PDF is named and preferred)', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['*/*', false],
    ['application/json', false],
    ['application/*', false],
    ['text/csv', false],
    ['application/pdf', true],
    ['Application/PDF', true],
    ['application/pdf, */*;q=0.8', true],
    ['application/pdf, application/json', false],
    ['application/json;q=0.5, application/pdf', true],
    ['application/pdf;q=0.5, application/json', false],
    ['application/pdf;q=0', false],
    ['application/pdf, */*', true],
  ] as const)('%s → PDF %s', (accept, pdf) => {
    expect(prefers(accept, 'application/pdf')).toBe(pdf);
  });
});
