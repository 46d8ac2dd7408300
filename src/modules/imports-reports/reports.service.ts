import { csvLine } from '../../core/csv.js';
import type { JobActor } from '../../core/context.js';
import { localDateTime } from '../../core/time.js';
import { reportsRepository, type AttendanceReportFilter } from './reports.repository.js';
import { tenantsRepository } from '../../db/tenancy.repository.js';
import type { ServiceDeps } from '../../kernel/deps.js';
import type { FilesService } from '../files/index.js';
import { PermanentJobError, type JobPayload } from '../../kernel/job-payloads.js';
import { forTenant } from '../../db/db.js';

const PAGE = 1000;
export const REPORT_COLUMNS = ['date', 'firstName', 'lastName', 'room', 'checkIn', 'checkOut', 'droppedOffBy', 'pickedUpBy', 'hours', 'movedTo', 'method', 'absence'];

const fullName = (first: string | null, last: string | null) => (first || last ? `${first ?? ''} ${last ?? ''}`.trim() : '');

/** Reports written by jobs: CSV files streamed into storage page by page. */
export function createReportsService({ db, storage, files }: Pick<ServiceDeps, 'db' | 'storage'> & { files: Pick<FilesService, 'createServerFile'> }) {
  return {
    /**
     * Attendance report: one CSV row per stay in [from, to] (a move closes one stay, naming the room moved to, and
     * opens the next), then one row per absence (its reason in `absence`), times in the centre's time zone. Rows are
     * read in keyset pages and streamed into storage, so memory does not grow with the range.
     */
    async attendanceCsv(actor: JobActor, p: Omit<JobPayload<'report.attendance'>, 'tenantId'>, progress: (percent: number) => Promise<void>) {
      const { tenantId } = actor;
      const f: AttendanceReportFilter = { from: p.from, to: p.to, roomId: p.roomId };
      const { tz, total } = await db.scoped(forTenant(tenantId), async (tx) => {
        const tenant = await tenantsRepository.get(tx, tenantId);
        if (!tenant) throw new PermanentJobError('The centre no longer exists');
        return { tz: tenant.timezone, total: (await reportsRepository.countAttendance(tx, tenantId, f)) + (await reportsRepository.countAbsences(tx, tenantId, f)) };
      });

      let rows = 0;
      async function* lines(): AsyncGenerator<string> {
        yield csvLine(REPORT_COLUMNS);
        let after: { date: string; id: string } | undefined;
        for (;;) {
          const page = await db.scoped(forTenant(tenantId), (tx) => reportsRepository.attendancePage(tx, tenantId, f, after, PAGE));
          let chunk = '';
          for (const r of page) {
            const hours = r.checkOutAt ? ((r.checkOutAt.getTime() - r.checkInAt.getTime()) / 3_600_000).toFixed(2) : '';
            chunk += csvLine(
              [
                r.date,
                r.firstName,
                r.lastName,
                r.roomName ?? '',
                localDateTime(r.checkInAt, tz),
                r.checkOutAt ? localDateTime(r.checkOutAt, tz) : '',
                fullName(r.droppedOffFirst, r.droppedOffLast),
                fullName(r.pickedUpFirst, r.pickedUpLast),
                hours,
                r.movedToName ?? '',
                r.method,
                '',
              ],
              { neutralizeFormulas: true },
            );
          }
          rows += page.length;
          if (chunk) yield chunk;
          if (total) await progress((rows / total) * 95);
          if (page.length < PAGE) break;
          const last = page[page.length - 1]!;
          after = { date: last.date, id: last.id };
        }
        let afterAbsence: { date: string; id: string } | undefined;
        for (;;) {
          const page = await db.scoped(forTenant(tenantId), (tx) => reportsRepository.absencePage(tx, tenantId, f, afterAbsence, PAGE));
          let chunk = '';
          for (const r of page) chunk += csvLine([r.date, r.firstName, r.lastName, r.roomName ?? '', '', '', '', '', '', '', '', r.reason], { neutralizeFormulas: true });
          rows += page.length;
          if (chunk) yield chunk;
          if (total) await progress((rows / total) * 95);
          if (page.length < PAGE) return;
          const last = page[page.length - 1]!;
          afterAbsence = { date: last.date, id: last.id };
        }
      }

      const fileName = `attendance-${p.from}-to-${p.to}.csv`;
      const file = await files.createServerFile(
        tenantId,
        { purpose: 'report', fileName, contentType: 'text/csv', createdByMembershipId: actor.membershipId },
        (key) => storage.putStream(key, lines(), 'text/csv'),
      );
      return { fileId: file.id, rows };
    },
  };
}
export type ReportsService = ReturnType<typeof createReportsService>;
