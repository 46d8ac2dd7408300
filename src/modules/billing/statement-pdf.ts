/**
 * Printable statements (CONTRACT "Billing": the contract names JSON only; `Accept: application/pdf` on the same routes
 * answers this). Rendered with pdfkit, imported on first use so neither the API's cold start nor the Lambda bundle's
 * import cost pays for it. Amounts are formatted from integer minor units with integer arithmetic only; every date
 * shown is already the centre's local date.
 */
import type { LedgerEntryType } from '../../models/enums.js';

export interface StatementPdfInput {
  centre: { name: string; taxId: string | null };
  account: { name: string; payers: string[] };
  currency: string;
  from: string;
  to: string;
  /** Today in the centre's time zone. */
  generatedOn: string;
  openingBalance: number;
  closingBalance: number;
  entries: { effectiveDate: string; type: LedgerEntryType; memo: string; invoiceNumber: number | null; amount: number }[];
}

export interface TaxStatementPdfInput {
  centre: { name: string; taxId: string | null };
  account: { name: string };
  currency: string;
  year: number;
  generatedOn: string;
  payers: { name: string | null; paid: number }[];
  totalPaid: number;
}

/** ISO 4217 minor-unit digits (JPY 0, KWD 3, USD 2 …) as the runtime's ICU knows them; 2 when it does not. */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/**
 * `-1234567` USD → `USD -12,345.67`; JPY → `JPY -1,234,567`. Integer arithmetic only (BigInt division and remainder):
 * an amount never becomes a float on its way to the page.
 */
export function formatMoney(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`not an amount in minor units: ${minor}`);
  const digits = currencyDigits(currency);
  const neg = minor < 0;
  const abs = BigInt(Math.abs(minor));
  const unit = 10n ** BigInt(digits);
  const whole = (abs / unit).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = digits ? `.${(abs % unit).toString().padStart(digits, '0')}` : '';
  return `${currency} ${neg ? '-' : ''}${whole}${frac}`;
}

const TYPE_LABELS: Record<LedgerEntryType, string> = {
  invoice: 'Invoice',
  void: 'Invoice voided',
  payment: 'Payment',
  refund: 'Refund',
  payment_reversal: 'Payment reversed',
  credit: 'Credit',
};

export function entryDescription(e: StatementPdfInput['entries'][number]): string {
  const label = TYPE_LABELS[e.type] ?? e.type;
  const head = e.invoiceNumber !== null ? `${label} #${e.invoiceNumber}` : label;
  if (!e.memo) return head;
  // An invoice's own memo already names it ("Invoice 12 (2025-03)"): printed as it is, not twice.
  return e.type === 'invoice' && e.memo.startsWith('Invoice') ? e.memo : `${head}: ${e.memo}`;
}

// pdfkit's standard fonts (no font file to ship) write WinAnsi: anything outside Latin-1 is replaced by '?', never
// dropped silently into a broken glyph.
const printable = (s: string) => s.replace(/[^\u0020-\u007e\u00a0-\u00ff]/g, '?');

type Doc = InstanceType<typeof import('pdfkit')>;

async function newDocument(title: string, subject: string) {
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: printable(title), Subject: printable(subject), Producer: 'Daycare API' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return { doc, done };
}

function header(doc: Doc, title: string, centre: { name: string; taxId: string | null }, lines: string[]) {
  doc.font('Helvetica-Bold').fontSize(16).text(printable(centre.name));
  doc.font('Helvetica').fontSize(9).text(printable(centre.taxId ? `Tax ID: ${centre.taxId}` : 'Tax ID: not set'));
  doc.moveDown(0.8);
  doc.font('Helvetica-Bold').fontSize(13).text(printable(title));
  doc.font('Helvetica').fontSize(10);
  for (const l of lines) doc.text(printable(l));
  doc.moveDown(0.8);
}

/** A table row at fixed columns; a new page (with the column titles again) when the row would not fit. */
function row(doc: Doc, cols: { x: number; w: number; align?: 'left' | 'right' }[], cells: string[], opts: { bold?: boolean; titles?: string[] } = {}) {
  const height = Math.max(...cells.map((c, i) => doc.heightOfString(printable(c), { width: cols[i]!.w }))) + 4;
  if (doc.y + height > doc.page.height - doc.page.margins.bottom) {
    doc.addPage();
    if (opts.titles) row(doc, cols, opts.titles, { bold: true });
  }
  const y = doc.y;
  doc.font(opts.bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
  cells.forEach((c, i) => doc.text(printable(c), cols[i]!.x, y, { width: cols[i]!.w, align: cols[i]!.align ?? 'left', lineBreak: true }));
  doc.x = doc.page.margins.left;
  doc.y = y + height;
}

/** The account statement: opening balance, every entry of the range with the running balance, the totals. */
export async function renderStatementPdf(s: StatementPdfInput): Promise<Buffer> {
  const { doc, done } = await newDocument(`Statement ${s.account.name} ${s.from} to ${s.to}`, `Account statement of ${s.centre.name}`);
  header(doc, 'Account statement', s.centre, [
    `Account: ${s.account.name}`,
    ...(s.account.payers.length ? [`Payers: ${s.account.payers.join(', ')}`] : []),
    `Period: ${s.from} to ${s.to}`,
    `Currency: ${s.currency}`,
    `Issued on: ${s.generatedOn}`,
  ]);
  const left = doc.page.margins.left;
  const cols = [
    { x: left, w: 70 },
    { x: left + 75, w: 220 },
    { x: left + 300, w: 95, align: 'right' as const },
    { x: left + 400, w: 95, align: 'right' as const },
  ];
  const titles = ['Date', 'Description', 'Amount', 'Balance'];
  row(doc, cols, titles, { bold: true });
  row(doc, cols, [s.from, 'Opening balance', '', formatMoney(s.openingBalance, s.currency)]);
  let balance = BigInt(s.openingBalance);
  let charged = 0n;
  let paid = 0n;
  for (const e of s.entries) {
    balance += BigInt(e.amount);
    if (e.amount > 0) charged += BigInt(e.amount);
    else paid += BigInt(e.amount);
    row(doc, cols, [e.effectiveDate, entryDescription(e), formatMoney(e.amount, s.currency), formatMoney(Number(balance), s.currency)], { titles });
  }
  row(doc, cols, [s.to, 'Closing balance', '', formatMoney(s.closingBalance, s.currency)], { bold: true, titles });
  doc.moveDown(1);
  doc.font('Helvetica').fontSize(10);
  doc.text(printable(`Charges in the period: ${formatMoney(Number(charged), s.currency)}`), left);
  doc.text(printable(`Payments and credits in the period: ${formatMoney(Number(paid), s.currency)}`), left);
  doc.text(printable(`${s.closingBalance > 0 ? 'Amount due' : 'Balance'}: ${formatMoney(s.closingBalance, s.currency)}`), left);
  doc.end();
  return done;
}

/** The year-end tax statement: the centre's name and tax id, what each payer paid in the year, the total. */
export async function renderTaxStatementPdf(s: TaxStatementPdfInput): Promise<Buffer> {
  const { doc, done } = await newDocument(`Tax statement ${s.year} ${s.account.name}`, `Childcare payments to ${s.centre.name}`);
  header(doc, `Childcare payments statement ${s.year}`, s.centre, [
    `Account: ${s.account.name}`,
    `Payments received from 1 January to 31 December ${s.year}, less refunds and reversals.`,
    `Currency: ${s.currency}`,
    `Issued on: ${s.generatedOn}`,
  ]);
  const left = doc.page.margins.left;
  const cols = [
    { x: left, w: 300 },
    { x: left + 320, w: 175, align: 'right' as const },
  ];
  const titles = ['Payer', 'Paid'];
  row(doc, cols, titles, { bold: true });
  if (!s.payers.length) row(doc, cols, ['No payments in this year', formatMoney(0, s.currency)]);
  for (const p of s.payers) row(doc, cols, [p.name ?? 'Recorded by staff (no payer named)', formatMoney(p.paid, s.currency)], { titles });
  row(doc, cols, ['Total paid', formatMoney(s.totalPaid, s.currency)], { bold: true, titles });
  doc.end();
  return done;
}
