/** The executions list's filters, kept in the URL so a view can be shared and reloaded. */
import { isStatus } from './status';
import type { ExecutionStatus, ListCursor, RouterInputs } from './trpc/types';

export const PAGE_SIZES = [25, 50, 100, 200] as const;
const DEFAULT_LIMIT = 50;

export interface ListFilters {
  statuses: ExecutionStatus[];
  taskId: string | null;
  rootOnly: boolean;
  search: string;
  /** `input.customerId = "c_42"`: a path into the input or output, `=`, a JSON value. */
  where: string;
  /** Created from / to, as `datetime-local` values (the browser's time zone); '' for none. */
  from: string;
  to: string;
  cursor: ListCursor | null;
  limit: number;
}

export function parseFilters(params: URLSearchParams): ListFilters {
  const statuses = (params.get('status') ?? '')
    .split(',')
    .filter((value): value is ExecutionStatus => isStatus(value));
  const limit = Number(params.get('limit'));
  return {
    statuses: [...new Set(statuses)],
    taskId: params.get('task') || null,
    rootOnly: params.get('roots') === '1',
    search: (params.get('q') ?? '').trim().slice(0, 64),
    where: (params.get('where') ?? '').trim().slice(0, 1200),
    from: localDateTime(params.get('from')),
    to: localDateTime(params.get('to')),
    cursor: decodeCursor(params.get('after')),
    limit: (PAGE_SIZES as readonly number[]).includes(limit) ? limit : DEFAULT_LIMIT,
  };
}

export function filtersToSearch(filters: ListFilters): string {
  const params = new URLSearchParams();
  if (filters.statuses.length > 0) params.set('status', filters.statuses.join(','));
  if (filters.taskId) params.set('task', filters.taskId);
  if (filters.rootOnly) params.set('roots', '1');
  if (filters.search) params.set('q', filters.search);
  if (filters.where) params.set('where', filters.where);
  if (filters.from) params.set('from', filters.from);
  if (filters.to) params.set('to', filters.to);
  if (filters.limit !== DEFAULT_LIMIT) params.set('limit', String(filters.limit));
  if (filters.cursor) params.set('after', encodeCursor(filters.cursor));
  const search = params.toString();
  return search ? `?${search}` : '';
}

export function hasFilters(filters: ListFilters): boolean {
  return (
    filters.statuses.length > 0 ||
    !!filters.taskId ||
    filters.rootOnly ||
    !!filters.search ||
    !!filters.where ||
    !!filters.from ||
    !!filters.to
  );
}

export function toListInput(filters: ListFilters): RouterInputs['executions']['list'] {
  return {
    ...(filters.statuses.length > 0 ? { status: filters.statuses } : {}),
    ...(filters.taskId ? { taskId: filters.taskId } : {}),
    ...(filters.rootOnly ? { rootOnly: true } : {}),
    ...(filters.search ? { search: normaliseSearch(filters.search) } : {}),
    ...timeRange(filters),
    ...whereToMatch(filters.where),
    cursor: filters.cursor,
    limit: filters.limit,
  };
}

/** The list's filter without its page: what a bulk action covers. */
export function toFilterInput(
  filters: ListFilters,
): RouterInputs['executions']['bulk']['count']['filter'] {
  const { cursor: _cursor, limit: _limit, ...filter } = toListInput(filters);
  return filter;
}

/**
 * `input.a.b = "x"` as the API's match: the value is JSON (`42`, `true`, `null`, `"42"`), or
 * else taken as a string. The server validates the path and says what is wrong with it.
 */
export function whereToMatch(where: string): {
  match?: { path: string; value: string | number | boolean | null };
} {
  const parsed = /^([^=]+?)\s*=\s*(.*)$/.exec(where.trim());
  if (!parsed?.[1]) return where.trim() ? { match: { path: where.trim(), value: null } } : {};
  const raw = parsed[2] ?? '';
  let value: string | number | boolean | null = raw;
  try {
    const json: unknown = JSON.parse(raw);
    if (json === null || ['string', 'number', 'boolean'].includes(typeof json)) {
      value = json as string | number | boolean | null;
    }
  } catch {
    // Not JSON: the text itself.
  }
  return { match: { path: parsed[1], value } };
}

function timeRange(filters: ListFilters): { createdFrom?: number; createdTo?: number } {
  const from = filters.from ? new Date(filters.from).getTime() : NaN;
  const to = filters.to ? new Date(filters.to).getTime() : NaN;
  return {
    ...(Number.isFinite(from) ? { createdFrom: from } : {}),
    ...(Number.isFinite(to) ? { createdTo: to } : {}),
  };
}

function localDateTime(value: string | null): string {
  return value && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value) ? value : '';
}

/** Ids all start with `te_`; a search for the part after it is completed. */
export function normaliseSearch(search: string): string {
  return /^t(e(_.*)?)?$/.test(search) ? search : `te_${search}`;
}

export function isFullExecutionId(value: string): boolean {
  return /^te_[\w-]{24}$/.test(value);
}

export function encodeCursor(cursor: ListCursor): string {
  return `${cursor.createdAt}~${cursor.executionId}`;
}

function decodeCursor(value: string | null): ListCursor | null {
  const match = /^(\d{1,16})~([\w-]{1,64})$/.exec(value ?? '');
  if (!match?.[1] || !match[2]) return null;
  return { createdAt: Number(match[1]), executionId: match[2] };
}
