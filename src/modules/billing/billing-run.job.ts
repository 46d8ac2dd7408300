import { JOB_PAYLOADS } from '../../kernel/job-payloads.js';
import { defineJob, type JobContext } from '../../workers/job-types.js';

export const BILLING_RUN_BATCH = 200;

interface RunState {
  created: number;
  rebuilt: number;
  skipped: number;
  invoiceIds: string[];
  /** The last account of the last committed batch (a retry resumes after it). */
  after?: string;
}

/**
 * A month's billing run: the centre's accounts in id order, in batches of 200, each batch one transaction under the
 * (centre, period) advisory lock; the counts and the resume point are checkpointed after every batch. A crash
 * half-way leaves whole batches, and the retry (or a new run) rebuilds drafts in place, so nothing is billed twice.
 */
export const billingRunJob = defineJob({
  type: 'billing.run',
  payload: JOB_PAYLOADS['billing.run'],
  async run(ctx: JobContext, p) {
    const actor = { ...ctx.actor, membershipId: p.createdByMembershipId };
    const prev = ctx.job.result as RunState | null;
    const state: RunState = prev && typeof prev === 'object' && 'created' in prev ? { ...prev, invoiceIds: [...prev.invoiceIds] } : { created: 0, rebuilt: 0, skipped: 0, invoiceIds: [] };
    let batches = 0;
    for (;;) {
      const { counts, last, done } = await ctx.services.billing.invoices.runBatch(actor, p.period, state.after, BILLING_RUN_BATCH);
      state.created += counts.created;
      state.rebuilt += counts.rebuilt;
      state.skipped += counts.skipped;
      state.invoiceIds.push(...counts.invoiceIds);
      if (last) state.after = last;
      batches++;
      if (done) break;
      await ctx.checkpoint(state);
      await ctx.progress(Math.min(99, batches));
    }
    return { created: state.created, rebuilt: state.rebuilt, skipped: state.skipped, invoiceIds: state.invoiceIds };
  },
});
