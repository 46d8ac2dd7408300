import { newId } from '../../core/ids.js';
import { newEnrolmentToken } from '../../core/security/enrolment-tokens.js';
import { addDays } from '../../core/time.js';
import { applications } from '../../models/index.js';
import type { Tx } from '../../db/db.js';

/**
 * The demo centre's waitlist (`npm run seed`): five families waiting — one a sibling of an enrolled child, one a staff
 * member's — and one open offer for the infant room (its link is not printed: offer links travel by email only).
 */
export async function seedDemoWaitlist(
  tx: Tx,
  d: { tenantId: string; today: string; now: Date; roomIds: string[]; siblingOf: { id: string; lastName: string } },
): Promise<void> {
  const start = addDays(d.today, 45);
  const at = (hoursAgo: number) => new Date(d.now.getTime() - hoursAgo * 3600_000);
  const base = (i: number, first: string, last: string, hoursAgo: number) => ({
    id: newId(at(hoursAgo).getTime()),
    tenantId: d.tenantId,
    source: (i % 2 ? 'public' : 'staff') as 'public' | 'staff',
    childFirstName: first,
    childLastName: last,
    childDateOfBirth: addDays(d.today, -300 - 40 * i),
    guardianFirstName: 'Demo',
    guardianLastName: last,
    guardianEmail: `applicant${i}@demo.example`,
    desiredStartDate: start,
    roomId: d.roomIds[0]!,
    submittedAt: at(hoursAgo),
    rankAt: at(hoursAgo),
  });
  const offered = base(0, 'Maya', 'Okafor', 400);
  const { hash } = newEnrolmentToken('offer', d.tenantId, offered.id);
  await tx.insert(applications).values([
    { ...offered, status: 'offered', offerRoomId: d.roomIds[0]!, offerStartDate: start, offerExpiresAt: new Date(d.now.getTime() + 48 * 3600_000), offerTokenHash: hash },
    { ...base(1, 'Leo', 'Brennan', 300) },
    { ...base(2, 'Noor', 'Haddad', 200), staffChild: true },
    { ...base(3, 'Ari', d.siblingOf.lastName, 100), siblingStudentId: d.siblingOf.id },
    { ...base(4, 'Ivy', 'Lindqvist', 50), roomId: null },
  ]);
}
