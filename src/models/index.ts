export * from './tenancy.js';
export * from './centre.js';
export * from './staff-time.js';
export * from './day.js';
export * from './messages.js';
export * from './files.js';
export * from './jobs.js';
export * from './enums.js';
