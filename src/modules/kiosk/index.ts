/** Kiosk: the drop-off tablet, guardian PINs, kiosk check-in and check-out. */
export { createKiosksService, type KiosksService } from './kiosks.service.js';
