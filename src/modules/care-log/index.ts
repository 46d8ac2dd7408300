/** Care log: a child's care entries (meals, naps, nappies, …) and the daily report. */
export { createCareEntriesService, type CareEntriesService } from './care-entries.service.js';
export type { CareEntryDto } from './care-entries.dto.js';
