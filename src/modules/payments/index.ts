/** Online payments: hosted checkout, the provider's webhooks, online refunds. */
export { createPaymentsService, type PaymentsService } from './payments.service.js';
