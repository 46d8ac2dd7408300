import { CsvError, decodeUtf8, parseCsv } from '../../core/csv.js';
import { JOB_PAYLOADS } from '../../services/job-payloads.js';
import { nameKey, readHeader, validateRow, type Column, type ImportRow, type RowError } from '../../services/students-import.rows.js';
import type { ImportCounts } from '../../services/students-import.js';
import { defineJob, PermanentJobError, type JobContext } from '../job-types.js';

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

    const counts: ImportCounts = { created: 0, updated: 0, skipped: 0 };
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
      const c = await students.importBatch(actor, rows, { dryRun: p.dryRun });
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
