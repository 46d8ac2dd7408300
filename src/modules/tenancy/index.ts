/** Tenancy: the centre (tenant) and its settings sections, members, invitations. Its public surface: types for other modules and the edges, factories for the container. */
export { createTenancyService, settingsSection, type TenancyService, type TenantSettingsSection, type TenantDto, type MembershipDto, type InviterContext } from './tenancy.service.js';
export { createInvitationsService, type InvitationsService } from './invitations.service.js';
