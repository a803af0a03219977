/** Ports and the admin token of the end-to-end servers (shared by the config and the tests). */
export const OPEN_PORT = 3100;
export const AUTH_PORT = 3101;
export const E2E_ADMIN_TOKEN = 'e2e-admin-token-0123456789';
