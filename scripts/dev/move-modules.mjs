#!/usr/bin/env node
/**
 * Issue 22 part 1: moves src/ to one folder per capability (src/modules/<capability>/) beside the shared kernel, with
 * `git mv` so history follows, and rewrites every relative import specifier in src/, tests/, bench/, scripts/, infra/.
 *
 * Re-runnable: a file already at its new path is left where it is; a specifier that already resolves is left as it is;
 * one that resolved from a file's OLD location (code written before the move, e.g. merged in later) is rewritten.
 * After `git merge main`: run it again; it lists files still under the old folders that the map does not place.
 *
 *   node scripts/dev/move-modules.mjs            # move + rewrite
 *   node scripts/dev/move-modules.mjs --dry-run  # print what it would do
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const DRY = process.argv.includes('--dry-run');

/** Old path (under src/) → new path (under src/). Folders end with '/': every file below them moves. */
const MAP = {
  // db/: the database handle, scopes and the repositories every capability shares.
  'repositories/db.ts': 'db/db.ts',
  'repositories/audit.repository.ts': 'db/audit.repository.ts',
  'repositories/outbox.repository.ts': 'db/outbox.repository.ts',
  'repositories/idempotency.repository.ts': 'db/idempotency.repository.ts',
  'repositories/clock.repository.ts': 'db/clock.repository.ts',
  'repositories/columns-sql.ts': 'db/columns-sql.ts',
  'repositories/maintenance.repository.ts': 'db/maintenance.repository.ts',
  'repositories/sessions.repository.ts': 'db/sessions.repository.ts',
  // Tenants and memberships: read by auth and by most capabilities (time zone, directory, membership checks).
  'repositories/tenancy.repository.ts': 'db/tenancy.repository.ts',
  // auth/: sessions, the per-request authenticator, /me/context, what an actor may see.
  'services/auth/': 'auth/',
  'services/cache-keys.ts': 'auth/cache-keys.ts',
  'services/access.ts': 'auth/access.ts',
  // kernel/: what every capability's services share (deps, audit helpers, versioned change, events, job payloads, ports).
  'services/deps.ts': 'kernel/deps.ts',
  'services/helpers.ts': 'kernel/helpers.ts',
  'services/versioned-change.ts': 'kernel/versioned-change.ts',
  'services/events.ts': 'kernel/events.ts',
  'services/job-payloads.ts': 'kernel/job-payloads.ts',
  'services/idempotency.service.ts': 'kernel/idempotency.service.ts',
  'services/notifications/port.ts': 'kernel/notify-port.ts',
  // core/: pure primitives.
  'services/pagination.ts': 'core/pagination.ts',
  'services/billing/money.ts': 'core/money.ts',
  // The demo seed: a top-floor script like the container.
  'services/seed.ts': 'seed.ts',

  // tenancy
  'services/tenancy.service.ts': 'modules/tenancy/tenancy.service.ts',
  'services/invitations.service.ts': 'modules/tenancy/invitations.service.ts',
  'api/routes/tenancy.routes.ts': 'modules/tenancy/tenancy.routes.ts',
  'api/routes/tenancy.schemas.ts': 'modules/tenancy/tenancy.schemas.ts',
  'api/routes/invitations.routes.ts': 'modules/tenancy/invitations.routes.ts',
  'api/routes/invitations.schemas.ts': 'modules/tenancy/invitations.schemas.ts',
  // people: rooms, students (and the CSV import's domain work), guardians, staff
  'services/centre.ts': 'modules/people/centre.ts',
  'services/rooms.service.ts': 'modules/people/rooms.service.ts',
  'services/students.service.ts': 'modules/people/students.service.ts',
  'services/students.rules.ts': 'modules/people/students.rules.ts',
  'services/students-import.ts': 'modules/people/students-import.ts',
  'services/students-import.rows.ts': 'modules/people/students-import.rows.ts',
  'services/guardians.service.ts': 'modules/people/guardians.service.ts',
  'services/staff.service.ts': 'modules/people/staff.service.ts',
  'repositories/rooms.repository.ts': 'modules/people/rooms.repository.ts',
  'repositories/students.repository.ts': 'modules/people/students.repository.ts',
  'repositories/guardians.repository.ts': 'modules/people/guardians.repository.ts',
  'repositories/staff.repository.ts': 'modules/people/staff.repository.ts',
  'repositories/imports.repository.ts': 'modules/people/imports.repository.ts',
  'api/routes/centre.routes.ts': 'modules/people/centre.routes.ts',
  'api/routes/rooms.routes.ts': 'modules/people/rooms.routes.ts',
  'api/routes/rooms.schemas.ts': 'modules/people/rooms.schemas.ts',
  'api/routes/students.routes.ts': 'modules/people/students.routes.ts',
  'api/routes/students.schemas.ts': 'modules/people/students.schemas.ts',
  'api/routes/guardians.routes.ts': 'modules/people/guardians.routes.ts',
  'api/routes/guardians.schemas.ts': 'modules/people/guardians.schemas.ts',
  'api/routes/staff.routes.ts': 'modules/people/staff.routes.ts',
  'api/routes/staff.schemas.ts': 'modules/people/staff.schemas.ts',
  'workers/handlers/students-import.job.ts': 'modules/people/students-import.job.ts',
  // attendance: attendance, absences, roster, daily report, rollups and their scheduled tasks
  'services/attendance.service.ts': 'modules/attendance/attendance.service.ts',
  'services/absences.service.ts': 'modules/attendance/absences.service.ts',
  'services/absences.dto.ts': 'modules/attendance/absences.dto.ts',
  'repositories/attendance.repository.ts': 'modules/attendance/attendance.repository.ts',
  'repositories/absences.repository.ts': 'modules/attendance/absences.repository.ts',
  'repositories/rollups.repository.ts': 'modules/attendance/rollups.repository.ts',
  'api/routes/attendance.routes.ts': 'modules/attendance/attendance.routes.ts',
  'api/routes/attendance.schemas.ts': 'modules/attendance/attendance.schemas.ts',
  'api/routes/absences.routes.ts': 'modules/attendance/absences.routes.ts',
  'api/routes/absences.schemas.ts': 'modules/attendance/absences.schemas.ts',
  'services/tasks/rollup.ts': 'modules/attendance/rollup.task.ts',
  'services/tasks/reminders.ts': 'modules/attendance/reminders.task.ts',
  // care-log
  'services/care-entries.service.ts': 'modules/care-log/care-entries.service.ts',
  'repositories/care-entries.repository.ts': 'modules/care-log/care-entries.repository.ts',
  'api/routes/care-entries.routes.ts': 'modules/care-log/care-entries.routes.ts',
  'api/routes/care-entries.schemas.ts': 'modules/care-log/care-entries.schemas.ts',
  // incidents
  'services/incidents.service.ts': 'modules/incidents/incidents.service.ts',
  'repositories/incidents.repository.ts': 'modules/incidents/incidents.repository.ts',
  'api/routes/incidents.routes.ts': 'modules/incidents/incidents.routes.ts',
  'api/routes/incidents.schemas.ts': 'modules/incidents/incidents.schemas.ts',
  'services/tasks/incident-reminders.ts': 'modules/incidents/incident-reminders.task.ts',
  // staff-time: shifts, timecards
  'services/shifts.service.ts': 'modules/staff-time/shifts.service.ts',
  'services/timecards.ts': 'modules/staff-time/timecards.ts',
  'repositories/shifts.repository.ts': 'modules/staff-time/shifts.repository.ts',
  'api/routes/shifts.routes.ts': 'modules/staff-time/shifts.routes.ts',
  'api/routes/shifts.schemas.ts': 'modules/staff-time/shifts.schemas.ts',
  // kiosk
  'services/kiosks.service.ts': 'modules/kiosk/kiosks.service.ts',
  'repositories/kiosks.repository.ts': 'modules/kiosk/kiosks.repository.ts',
  'api/routes/kiosks.routes.ts': 'modules/kiosk/kiosks.routes.ts',
  'api/routes/kiosks.schemas.ts': 'modules/kiosk/kiosks.schemas.ts',
  // messages
  'services/messages.service.ts': 'modules/messages/messages.service.ts',
  'repositories/messages.repository.ts': 'modules/messages/messages.repository.ts',
  'api/routes/messages.routes.ts': 'modules/messages/messages.routes.ts',
  'api/routes/messages.schemas.ts': 'modules/messages/messages.schemas.ts',
  // files
  'services/files.service.ts': 'modules/files/files.service.ts',
  'repositories/files.repository.ts': 'modules/files/files.repository.ts',
  'api/routes/files.routes.ts': 'modules/files/files.routes.ts',
  'api/routes/files.schemas.ts': 'modules/files/files.schemas.ts',
  // imports-reports: the jobs API (imports and reports are requested through it) and the attendance report
  'services/jobs.service.ts': 'modules/imports-reports/jobs.service.ts',
  'services/reports.service.ts': 'modules/imports-reports/reports.service.ts',
  'repositories/jobs.repository.ts': 'modules/imports-reports/jobs.repository.ts',
  'repositories/reports.repository.ts': 'modules/imports-reports/reports.repository.ts',
  'api/routes/jobs.routes.ts': 'modules/imports-reports/jobs.routes.ts',
  'api/routes/jobs.schemas.ts': 'modules/imports-reports/jobs.schemas.ts',
  'workers/handlers/attendance-report.job.ts': 'modules/imports-reports/attendance-report.job.ts',
  // notifications
  'services/notifications/': 'modules/notifications/',
  'repositories/notifications.repository.ts': 'modules/notifications/notifications.repository.ts',
  'api/routes/notifications.routes.ts': 'modules/notifications/notifications.routes.ts',
  'api/routes/notifications.schemas.ts': 'modules/notifications/notifications.schemas.ts',
  // billing
  'services/billing/': 'modules/billing/',
  'repositories/billing.repository.ts': 'modules/billing/billing.repository.ts',
  'repositories/billing-invoices.repository.ts': 'modules/billing/billing-invoices.repository.ts',
  'api/routes/billing.routes.ts': 'modules/billing/billing.routes.ts',
  'api/routes/billing-invoices.routes.ts': 'modules/billing/billing-invoices.routes.ts',
  'api/routes/billing.schemas.ts': 'modules/billing/billing.schemas.ts',
  'workers/handlers/billing-run.job.ts': 'modules/billing/billing-run.job.ts',
  // payments
  'services/payments/': 'modules/payments/',
  'repositories/payments.repository.ts': 'modules/payments/payments.repository.ts',
  'api/routes/payments.routes.ts': 'modules/payments/payments.routes.ts',
  'api/routes/payments.schemas.ts': 'modules/payments/payments.schemas.ts',
  // enrolment: applications, waitlist, forms, the public routes
  'services/enrolment/': 'modules/enrolment/',
  'repositories/enrolment.repository.ts': 'modules/enrolment/enrolment.repository.ts',
  'repositories/enrolment-forms.repository.ts': 'modules/enrolment/enrolment-forms.repository.ts',
  'api/routes/applications.routes.ts': 'modules/enrolment/applications.routes.ts',
  'api/routes/applications.schemas.ts': 'modules/enrolment/applications.schemas.ts',
  'api/routes/waitlist.routes.ts': 'modules/enrolment/waitlist.routes.ts',
  'api/routes/application-forms.routes.ts': 'modules/enrolment/application-forms.routes.ts',
  'api/routes/public.routes.ts': 'modules/enrolment/public.routes.ts',
  // tasks: the scheduled tasks' per-centre runner and the cleanup task
  'services/tasks.service.ts': 'modules/tasks/tasks.service.ts',
  'services/tasks/types.ts': 'kernel/tasks.ts',
  'services/tasks/cleanup.ts': 'modules/tasks/cleanup.task.ts',
};
/** Old folders that must be empty after the move (a file left there is one the map does not place). */
const OLD_DIRS = ['services', 'repositories', 'workers/handlers'];
/** Files that stay in an old folder on purpose (none: the folders go). */
const ROOTS = ['src', 'tests', 'bench', 'scripts', 'infra/bin', 'infra/lib', 'infra/test'];

const SRC = path.join(ROOT, 'src');
const relSrc = (abs) => path.relative(SRC, abs).split(path.sep).join('/');

/** The new path (under src/) of an old one, or undefined. */
function mapped(oldRel) {
  if (MAP[oldRel]) return MAP[oldRel];
  for (const [from, to] of Object.entries(MAP)) if (from.endsWith('/') && oldRel.startsWith(from)) return to + oldRel.slice(from.length);
  return undefined;
}
/** The old path (under src/) of a new one (inverse of `mapped`), or undefined. */
function original(newRel) {
  for (const [from, to] of Object.entries(MAP)) if (!from.endsWith('/') && to === newRel) return from;
  for (const [from, to] of Object.entries(MAP)) {
    if (from.endsWith('/') && newRel.startsWith(to)) {
      const old = from + newRel.slice(to.length);
      if (mapped(old) === newRel) return old;
    }
  }
  return undefined;
}

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    if (n === 'node_modules' || n === 'dist' || n === 'cdk.out' || n.startsWith('.')) return [];
    const f = path.join(dir, n);
    return statSync(f).isDirectory() ? walk(f) : /\.(m?[jt]s|tsx)$/.test(n) && !n.endsWith('.d.ts') ? [f] : [];
  });
}

// 1. Move.
let moved = 0;
for (const file of walk(SRC)) {
  const r = relSrc(file);
  const to = mapped(r);
  if (!to || to === r) continue;
  const dest = path.join(SRC, to);
  if (existsSync(dest)) throw new Error(`${r}: ${to} already exists (merge both by hand, then re-run)`);
  console.log(`git mv src/${r} src/${to}`);
  if (!DRY) {
    mkdirSync(path.dirname(dest), { recursive: true });
    execFileSync('git', ['mv', file, dest], { cwd: ROOT });
  }
  moved++;
}

// 2. Rewrite relative specifiers.
const resolveTs = (base) => [base.replace(/\.js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts')].find((c) => existsSync(c) && statSync(c).isFile());
const SPEC = /(\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+|\bvi\.mock\(\s*|\bvi\.importActual(?:<[^>]*>)?\(\s*)(['"])(\.\.?\/[^'"]+)\2/gm;
let rewritten = 0;
for (const root of ROOTS) {
  for (const file of walk(path.join(ROOT, root))) {
    const text = readFileSync(file, 'utf8');
    const inSrc = file.startsWith(SRC + path.sep);
    const oldRel = inSrc ? original(relSrc(file)) : undefined;
    const oldDir = oldRel ? path.dirname(path.join(SRC, oldRel)) : path.dirname(file);
    let changed = false;
    const next = text.replace(SPEC, (all, lead, q, spec) => {
      if (resolveTs(path.resolve(path.dirname(file), spec))) return all;
      const oldTarget = resolveTs(path.resolve(oldDir, spec)) ?? path.resolve(oldDir, spec).replace(/\.js$/, '.ts');
      const oldTargetRel = relSrc(oldTarget);
      const newTargetRel = mapped(oldTargetRel) ?? (oldTarget.startsWith(SRC + path.sep) ? oldTargetRel : undefined);
      if (!newTargetRel) return all;
      const newTarget = path.join(SRC, newTargetRel);
      if (!existsSync(newTarget)) {
        console.warn(`! ${path.relative(ROOT, file)}: ${spec} → ${newTargetRel} does not exist`);
        return all;
      }
      let s = path.relative(path.dirname(file), newTarget).split(path.sep).join('/').replace(/\.ts$/, '.js');
      if (!s.startsWith('.')) s = `./${s}`;
      changed = true;
      return `${lead}${q}${s}${q}`;
    });
    if (changed) {
      rewritten++;
      console.log(`rewrote ${path.relative(ROOT, file)}`);
      if (!DRY) writeFileSync(file, next);
    }
  }
}

const left = OLD_DIRS.flatMap((d) => walk(path.join(SRC, d))).map(relSrc);
console.log(`${moved} moved, ${rewritten} files rewritten`);
if (left.length) {
  console.error(`not placed by the map (add them to MAP and run again):\n  ${left.join('\n  ')}`);
  process.exitCode = 1;
}
