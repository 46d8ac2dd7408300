/** Incidents: reports, acknowledgement by guardians, the reminder task. */
export { createIncidentsService, type IncidentsService, type IncidentDto } from './incidents.service.js';
