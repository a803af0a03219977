/**
 * Paths into an execution's stored input or output, for search: `input.customerId`,
 * `output.items[0].sku`. Only identifiers and array indexes, so a path is safe to put into
 * SQL JSON paths of either database; anything else is a `DurableOptionsError` saying why.
 */
import { DurableOptionsError } from './options';
import type { ValueMatch } from './storage';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_SEGMENTS = 16;

/** Parses `input.a.b[0]` or `output.x` into the field and its segments. */
export function parseValuePath(text: string): Pick<ValueMatch, 'field' | 'path'> {
  const trimmed = text.trim();
  const head = /^(input|output)(?=$|[.[])/.exec(trimmed);
  if (!head) {
    throw new DurableOptionsError(
      `Search path "${text}" must start with "input" or "output" (for example input.customerId)`,
    );
  }
  const path: (string | number)[] = [];
  let rest = trimmed.slice(head[0].length);
  while (rest.length > 0) {
    const step = /^\.([^.[\]]*)|^\[([^\]]*)\]/.exec(rest);
    if (!step)
      throw new DurableOptionsError(
        `Search path "${text}": expected ".name" or "[index]" at "${rest}"`,
      );
    if (step[1] !== undefined) {
      if (!IDENTIFIER.test(step[1])) {
        throw new DurableOptionsError(
          `Search path "${text}": "${step[1]}" is not an identifier (letters, digits and _, not starting with a digit)`,
        );
      }
      path.push(step[1]);
    } else {
      if (!/^\d{1,6}$/.test(step[2] ?? '')) {
        throw new DurableOptionsError(
          `Search path "${text}": "[${step[2]}]" is not an array index`,
        );
      }
      path.push(Number(step[2]));
    }
    rest = rest.slice(step[0].length);
  }
  if (path.length === 0) throw new DurableOptionsError(`Search path "${text}" names no property`);
  if (path.length > MAX_SEGMENTS) {
    throw new DurableOptionsError(`Search path "${text}" is deeper than ${MAX_SEGMENTS} steps`);
  }
  return { field: head[1] as ValueMatch['field'], path };
}

/** Checks a structured path (from the storage interface) the same way. */
export function validateValuePath(path: readonly (string | number)[]): void {
  if (path.length === 0 || path.length > MAX_SEGMENTS) {
    throw new DurableOptionsError(`A search path has 1 to ${MAX_SEGMENTS} steps`);
  }
  for (const segment of path) {
    const ok =
      typeof segment === 'number'
        ? Number.isInteger(segment) && segment >= 0 && segment < 1_000_000
        : IDENTIFIER.test(segment);
    if (!ok) throw new DurableOptionsError(`Search path step ${String(segment)} is not allowed`);
  }
}

/**
 * Whether the superjson text `stored` holds `value` at `path` (compared as JSON). The
 * reference for the SQL stores, which compare the same way.
 */
export function storedValueMatches(stored: string | null, match: ValueMatch): boolean {
  if (stored === null) return false;
  let node: unknown;
  try {
    node = (JSON.parse(stored) as { json?: unknown }).json;
  } catch {
    return false;
  }
  for (const segment of match.path) {
    if (node === null || typeof node !== 'object') return false;
    if (Array.isArray(node) !== (typeof segment === 'number')) return false;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node !== undefined && JSON.stringify(node) === JSON.stringify(match.value);
}
