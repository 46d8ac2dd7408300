import type { Clock } from '../../core/clock.js';
import type { JobActor } from '../../core/context.js';
import { CsvError, decodeUtf8, parseCsv } from '../../core/csv.js';
import { localDate } from '../../core/time.js';
import { auditRepository, type AuditRepository } from '../../db/audit.repository.js';
import { forTenant, type Database } from '../../db/db.js';
import { tenantsRepository } from '../../db/tenancy.repository.js';
import { LeaseLostError, PermanentJobError } from '../../kernel/job-payloads.js';
import type { FilesService } from '../files/index.js';
import type { JobFence } from '../imports-reports/index.js';
import { roomsRepository } from './rooms.repository.js';
import { studentsRepository } from './students.repository.js';
import { applyBatch, type BatchWriting, type ImportCounts } from './students-import.batch.js';
import { nameKey, readHeader, validateRow, type Column, type ImportRow, type RowError } from './students-import.rows.js';


const BATCH_SIZE = 500;
const MAX_ERRORS = 1000;
const MAX_ROWS = 100_000;

/** What the import needs of other capabilities (handed in by the container). */
export interface ImportDeps {
  /** The uploaded CSV. */
  files: Pick<FilesService, 'openImportFile'>;
  /** The job run's fence and resume point, inside each batch's transaction. */
  jobs: JobFence;
}

/**
 * The students import, part of the students service: streams the CSV, validates every row by the students' rules
 * (students-import.rows.ts), drops repeats within the file, and writes batches of 500 — each one transaction with its
 * audit rows and the job's resume point. Rows are matched — `externalId` when given, else (first name, last name,
 * date of birth) case-insensitively — so a retry, or the same file again, creates no duplicates.
 */
export function createStudentsImport({
  db,
  clock,
  imports,
  studentDto,
  linkDto,
  audit = auditRepository,
}: Omit<BatchWriting, 'audit'> & {
  db: Pick<Database, 'scoped'>;
  clock: Clock;
  imports: ImportDeps;
  audit?: Pick<AuditRepository, 'append' | 'appendMany'>;
}) {
  /** What validating rows needs: the centre's today and its live rooms. undefined when the centre is gone. */
  async function importContext(actor: JobActor) {
    return db.scoped(forTenant(actor), async (tx) => {
      const tenant = await tenantsRepository.get(tx, actor.tenantId);
      if (!tenant) return undefined;
      return { today: localDate(clock.now(), tenant.timezone), roomIds: await roomsRepository.allLiveIds(tx, actor.tenantId) };
    });
  }

  /**
   * One batch in one transaction: the children, guardians and links with their audit rows, and the import's own
   * `students.imported` row. With `dryRun` it only counts.
   */
  async function importBatch(actor: JobActor, rows: ImportRow[], opts: { dryRun: boolean; checkpoint?: (counts: ImportCounts) => unknown }): Promise<ImportCounts> {
    const { tenantId } = actor;
    return db.scoped(forTenant(tenantId), async (tx) => {
      // One run per job: the batch commits only while this run holds the job's lease (a takeover waits for it).
      if (actor.runToken !== undefined && !(await imports.jobs.holds(tx, tenantId, actor.jobId, actor.runToken))) throw new LeaseLostError();
      // Imports of one centre are serialised batch by batch: the same file imported twice at once matches the
      // children the other import committed instead of creating them again.
      if (!opts.dryRun) await studentsRepository.lockImports(tx, tenantId);
      const c = await applyBatch(tx, actor, rows, opts.dryRun, clock.now(), { studentDto, linkDto, audit });
      // The job's resume point commits with the rows it counts (a retry after a crash skips them, counted once).
      if (!opts.dryRun && opts.checkpoint) await imports.jobs.checkpoint(tx, tenantId, actor.jobId, opts.checkpoint(c));
      if (opts.dryRun || (!c.created && !c.updated)) return c;
      await audit.append(tx, { tenantId, actorMembershipId: actor.membershipId, action: 'students.imported', targetType: 'job', targetId: actor.jobId, after: c });
      return c;
    });
  }

  /**
   * The import job's work (import.students): the file, row by row. A retried job resumes after the rows its earlier
   * attempt committed (`run.previous`, the job's last checkpoint). A file that can never import throws
   * PermanentJobError (no retry).
   */
  async function importFile(actor: JobActor, input: { fileId: string; dryRun: boolean }, run: { previous: unknown; progress(percent: number): Promise<void> }) {
    const rules = await importContext(actor);
    if (!rules) throw new PermanentJobError('The centre no longer exists');
    const file = await imports.files.openImportFile(actor.tenantId, input.fileId);
    if (!file) throw new PermanentJobError('The import file no longer exists');

    let bytes = 0;
    const source = await file.open();
    async function* counted() {
      for await (const chunk of source) {
        bytes += chunk.byteLength;
        yield chunk;
      }
    }

    // Their counts come from the checkpoint written in the same transaction as each batch (recounting them would
    // report them all as unchanged).
    const resume = resumePoint(run.previous, input.dryRun);
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
      const c = await importBatch(actor, rows, {
        dryRun: input.dryRun,
        checkpoint: (c) => {
          applied = { throughRow: rows[rows.length - 1]!.row, created: applied.created + c.created, updated: applied.updated + c.updated, unchanged: applied.unchanged + c.skipped };
          return { resume: applied };
        },
      });
      counts.created += c.created;
      counts.updated += c.updated;
      counts.skipped += c.skipped;
      if (file.size > 0) await run.progress((bytes / file.size) * 100);
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
    return { ...counts, rows: row, dryRun: input.dryRun, errors, ...(errorCount > errors.length ? { errorsTruncated: true, errorCount } : {}) };
  }

  return { importContext, importBatch, importFile };
}

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
