import { CsvError, decodeUtf8, parseCsv } from '../../core/csv.js';
import { JOB_PAYLOADS } from '../../kernel/job-payloads.js';
import { nameKey, readHeader, validateRow, type Column, type ImportRow, type RowError } from './students-import.rows.js';
import type { ImportCounts } from './students-import.js';
import { defineJob, PermanentJobError, type JobContext } from '../../workers/job-types.js';

export const BATCH_SIZE = 500;
export const MAX_ERRORS = 1000;
export const MAX_ROWS = 100_000;

/**
 * Students import: streams the CSV, validates every row by the students' rules, and hands batches of 500 to the
 * students service (each batch one transaction, with its audit rows). Matching makes it idempotent, so running it
 * twice (a retry, or the same file again) creates no duplicates.
 */
export const studentsImportJob = defineJob({
  type: 'import.students',
  payload: JOB_PAYLOADS['import.students'],
  async run(ctx: JobContext, p) {
    const { students, files } = ctx.services;
    const actor = { ...ctx.actor, membershipId: p.createdByMembershipId };
    const rules = await students.importContext(actor);
    if (!rules) throw new PermanentJobError('The centre no longer exists');
    const file = await files.openImportFile(actor.tenantId, p.fileId);
    if (!file) throw new PermanentJobError('The import file no longer exists');

    let bytes = 0;
    const source = await file.open();
    async function* counted() {
      for await (const chunk of source) {
        bytes += chunk.byteLength;
        yield chunk;
      }
    }

    // A retried job resumes after the rows its earlier attempt committed: their counts come from the checkpoint
    // written in the same transaction as each batch (recounting them would report them all as unchanged).
    const resume = resumePoint(ctx.job.result, p.dryRun);
    const counts: ImportCounts = { created: resume.created, updated: resume.updated, skipped: resume.unchanged };
    let applied = { ...resume };
    const errors: RowError[] = [];
    let errorCount = 0;
    const addError = (e: RowError) => {
      errorCount++;
      if (errors.length < MAX_ERRORS) errors.push(e);
    };
    const seen = new Map<string, number>(); // match key → first data row that used it
    let header: Map<Column, number> | undefined;
    let row = 0;
    let batch: ImportRow[] = [];

    const flush = async () => {
      if (!batch.length) return;
      const rows = batch;
      batch = [];
      // The resume point is written in the batch's own transaction, so a retry never counts a committed row twice.
      const c = await students.importBatch(actor, rows, {
        dryRun: p.dryRun,
        checkpoint: (c) => {
          applied = { throughRow: rows[rows.length - 1]!.row, created: applied.created + c.created, updated: applied.updated + c.updated, unchanged: applied.unchanged + c.skipped };
          return { resume: applied };
        },
      });
      counts.created += c.created;
      counts.updated += c.updated;
      counts.skipped += c.skipped;
      if (file.size > 0) await ctx.progress((bytes / file.size) * 100);
    };

    try {
      for await (const cells of parseCsv(decodeUtf8(counted()))) {
        if (!header) {
          try {
            header = readHeader(cells);
          } catch (e) {
            throw new PermanentJobError((e as Error).message);
          }
          continue;
        }
        row++;
        if (row > MAX_ROWS) throw new PermanentJobError(`The file has more than ${MAX_ROWS} rows; split it`);
        const v = validateRow(cells, header, row, rules);
        if ('blank' in v) continue;
        if ('errors' in v) {
          v.errors.forEach(addError);
          counts.skipped++;
          continue;
        }
        const key = v.ok.externalId ? `x\u0000${v.ok.externalId}` : nameKey(v.ok.firstName, v.ok.lastName, v.ok.dateOfBirth);
        const first = seen.get(key);
        if (first !== undefined) {
          addError({ row, field: v.ok.externalId ? 'externalId' : 'firstName', message: `repeats the child of row ${first}` });
          counts.skipped++;
          continue;
        }
        seen.set(key, row);
        if (row <= resume.throughRow) continue; // committed by an earlier attempt, counted in the checkpoint
        batch.push(v.ok);
        if (batch.length >= BATCH_SIZE) await flush();
      }
      await flush();
    } catch (e) {
      if (e instanceof CsvError) throw new PermanentJobError(`The file is not a valid CSV: ${e.message}`);
      throw e;
    }
    if (!header) throw new PermanentJobError('The file is empty (a header row is required)');
    return { ...counts, rows: row, dryRun: p.dryRun, errors, ...(errorCount > errors.length ? { errorsTruncated: true, errorCount } : {}) };
  },
});

interface ResumePoint {
  /** The last data row whose batch committed. */
  throughRow: number;
  created: number;
  updated: number;
  unchanged: number;
}

function resumePoint(result: unknown, dryRun: boolean): ResumePoint {
  const r = (result as { resume?: Partial<ResumePoint> } | null)?.resume;
  const n = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0);
  if (dryRun || !r) return { throughRow: 0, created: 0, updated: 0, unchanged: 0 };
  return { throughRow: n(r.throughRow), created: n(r.created), updated: n(r.updated), unchanged: n(r.unchanged) };
}
