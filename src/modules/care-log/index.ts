/** Care log: a child's care entries (meals, naps, nappies, …) and the daily report. */
export { createCareEntriesService, type CareEntriesService, type CareEntryDto } from './care-entries.service.js';
