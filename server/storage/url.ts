/** Which database a `DATABASE_URL` names: `file:` is SQLite, `postgres(ql)://` is PostgreSQL. */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_DATABASE_URL = 'file:./data/durably.db';

/**
 * The URL parameter that names Durably's PostgreSQL schema. Not Prisma's `schema`, which
 * names the APP's schema in the same URL: Durably's tables never go there.
 */
export const SCHEMA_URL_PARAMETER = 'durablySchema';

export type DatabaseTarget =
  | { provider: 'sqlite'; url: string; path: string }
  /** `url` without Durably's own parameter; `schema` when the URL names one. */
  | { provider: 'postgres'; url: string; schema: string | undefined };

export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url.startsWith('file:')) {
    const withoutQuery = url.split('?')[0] ?? url;
    const path = withoutQuery.startsWith('file://')
      ? fileURLToPath(withoutQuery)
      : withoutQuery.slice('file:'.length);
    if (path === '' || path.includes(':memory:')) {
      throw new Error(
        `Unsupported SQLite URL ${url}: use a file (migrations and workers share it)`,
      );
    }
    return { provider: 'sqlite', url, path: isAbsolute(path) ? path : resolve(path) };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`Unsupported DATABASE_URL ${redactUrl(url)}: not a valid URL`);
    }
    const schema = parsed.searchParams.get(SCHEMA_URL_PARAMETER) ?? undefined;
    parsed.searchParams.delete(SCHEMA_URL_PARAMETER);
    return { provider: 'postgres', url: schema === undefined ? url : parsed.toString(), schema };
  }
  throw new Error(
    `Unsupported DATABASE_URL ${redactUrl(url)}: expected file:<path> (SQLite) or ` +
      'postgres(ql)://... (PostgreSQL)',
  );
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  if (url.startsWith('file:')) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}
