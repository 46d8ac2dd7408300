import { incidentsRepository } from './incidents.repository.js';
import { forTenant } from '../../db/db.js';
import type { PostStudentMessage } from '../messages/index.js';
import { SYSTEM_AUTHOR, type TaskDeps, type TenantEntry } from '../../kernel/tasks.js';

/** How long a reviewed incident may wait for a guardian's acknowledgement before the one reminder. */
export const ACK_REMINDER_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * One reminder per incident reviewed 24 h ago or more and still not acknowledged: a message to the child's audience.
 * Once only, however often the task runs: `reminded_at` is claimed by a guarded UPDATE in the same transaction as the
 * message, so two overlapping runs cannot both send it.
 */
export const remindIncidents = (postStudentMessage: PostStudentMessage) => async (deps: TaskDeps, t: TenantEntry, now: Date) =>
  deps.db.scoped(forTenant(t.id), async (tx) => {
    const due = await incidentsRepository.awaitingReminder(tx, t.id, new Date(now.getTime() - ACK_REMINDER_AFTER_MS));
    let messages = 0;
    for (const i of due) {
      if (!(await incidentsRepository.markReminded(tx, t.id, i.id, now))) continue;
      await postStudentMessage(tx, {
        tenantId: t.id,
        authorMembershipId: SYSTEM_AUTHOR,
        actor: { tenantId: t.id },
        studentId: i.studentId,
        body: `Reminder: an incident report about ${i.firstName} is still waiting for your acknowledgement.`,
        now,
      });
      messages++;
    }
    return { messages };
  });
