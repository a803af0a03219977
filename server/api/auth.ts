/** Admin authentication (bearer token or login cookie) and the cross-site request check. */
import { createHash, timingSafeEqual } from 'node:crypto';

export const ADMIN_COOKIE = 'durably_admin';

/** True when the request carries the admin token, as a bearer header or the login cookie. */
export function isAdminRequest(headers: Headers | null, adminToken: string): boolean {
  if (!headers) return true; // in-process callers are trusted
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.get('authorization') ?? '')?.[1];
  if (bearer !== undefined && sameSecret(bearer, adminToken)) return true;
  const cookie = readCookie(headers.get('cookie') ?? '', ADMIN_COOKIE);
  return cookie !== undefined && sameSecret(cookie, cookieValue(adminToken));
}

/** The cookie holds a hash of the token, never the token itself. */
export function cookieValue(adminToken: string): string {
  return createHash('sha256').update(`durably-admin:${adminToken}`).digest('base64url');
}

export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function loginCookie(adminToken: string, secure: boolean): string {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', 'Max-Age=43200'];
  if (secure) attributes.push('Secure');
  return `${ADMIN_COOKIE}=${cookieValue(adminToken)}; ${attributes.join('; ')}`;
}

export function logoutCookie(): string {
  return `${ADMIN_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
}

/**
 * Browsers say where a request comes from: `Sec-Fetch-Site`, or else `Origin` compared with
 * the host. Requests without either (curl, server-to-server) are not cross-site.
 */
export function isCrossSiteRequest(headers: Headers): boolean {
  const fetchSite = headers.get('sec-fetch-site');
  if (fetchSite) return fetchSite !== 'same-origin' && fetchSite !== 'none';
  const origin = headers.get('origin');
  if (!origin) return false;
  const host = headers.get('x-forwarded-host') ?? headers.get('host');
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}

export function readCookie(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}
