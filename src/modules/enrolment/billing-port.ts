import type { Actor } from '../../core/context.js';
import { unprocessable } from '../../core/errors.js';
import type { Tx } from '../../db/db.js';

/**
 * What enrolment needs from billing (built on another branch): whether a plan may be offered, and, on accepting an
 * offer that names one, putting the child in the guardian's billing account (the oldest they pay for, a new one when
 * none) and subscribing them from `startDate` — inside the accept's own transaction. The container wires the real one.
 */
export interface EnrolmentBilling {
  /** The plan exists in the centre and is active. */
  planIsOffered(tx: Tx, tenantId: string, planId: string): Promise<boolean>;
  enrolOnPlan(tx: Tx, ctx: Actor, input: { guardianId: string; studentId: string; planId: string; startDate: string }): Promise<void>;
}

/** Until billing is wired: no plan is offered, and enrolling on one is refused with a clear 422. */
export const noBilling: EnrolmentBilling = {
  planIsOffered: async () => false,
  enrolOnPlan: async () => {
    throw unprocessable('billing is not available');
  },
};
