import { z } from 'zod';
import { csvLine } from '../../core/csv.js';
import { localDateTime } from '../../core/time.js';
import { reportsRepository, type AttendanceReportFilter } from '../../repositories/reports.repository.js';
import { tenantsRepository } from '../../repositories/tenancy.repository.js';
import { defineJob, PermanentJobError, type JobContext } from '../job-types.js';
import { str } from '../../core/strings.js';

const PAGE = 1000;
export const REPORT_COLUMNS = ['date', 'firstName', 'lastName', 'room', 'checkIn', 'checkOut', 'droppedOffBy', 'pickedUpBy', 'hours'];

const payload = z.object({
  tenantId: str().uuid(),
  from: str(),
  to: str(),
  roomId: str().uuid().optional(),
  createdByMembershipId: str().uuid().nullable(),
});

const fullName = (first: string | null, last: string | null) => (first || last ? `${first ?? ''} ${last ?? ''}`.trim() : '');

/**
 * Attendance report: one CSV row per attendance record in [from, to], times in the centre's time zone. Rows are read in
 * keyset pages and streamed into storage, so memory does not grow with the range. Idempotent: once the file is made,
 * the job's checkpoint points at it and a retry returns it instead of writing another.
 */
export const attendanceReportJob = defineJob({
  type: 'report.attendance',
  payload,
  async run(ctx: JobContext, p) {
    const previous = ctx.job.result as { fileId?: string; rows?: number } | null;
    if (previous?.fileId) return previous;
    const { db, files, storage } = ctx.deps;
    if (!storage) throw new Error('File storage is not configured');
    const { tenantId } = p;
    const f: AttendanceReportFilter = { from: p.from, to: p.to, roomId: p.roomId };
    const { tz, total } = await db.scoped({ tenantId }, async (tx) => {
      const tenant = await tenantsRepository.get(tx, tenantId);
      if (!tenant) throw new PermanentJobError('The centre no longer exists');
      return { tz: tenant.timezone, total: await reportsRepository.countAttendance(tx, tenantId, f) };
    });

    let rows = 0;
    async function* lines(): AsyncGenerator<string> {
      yield csvLine(REPORT_COLUMNS);
      let after: { date: string; id: string } | undefined;
      for (;;) {
        const page = await db.scoped({ tenantId }, (tx) => reportsRepository.attendancePage(tx, tenantId, f, after, PAGE));
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
            ],
            { neutralizeFormulas: true },
          );
        }
        rows += page.length;
        if (chunk) yield chunk;
        if (total) await ctx.progress((rows / total) * 95);
        if (page.length < PAGE) return;
        const last = page[page.length - 1]!;
        after = { date: last.date, id: last.id };
      }
    }

    const fileName = `attendance-${p.from}-to-${p.to}.csv`;
    const file = await files.createServerFile(
      tenantId,
      { purpose: 'report', fileName, contentType: 'text/csv', createdByMembershipId: p.createdByMembershipId },
      (key) => storage.putStream(key, lines(), 'text/csv'),
    );
    const result = { fileId: file.id, rows };
    await ctx.checkpoint(result);
    return result;
  },
});
