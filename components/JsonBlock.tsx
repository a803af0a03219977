'use client';

import { useState } from 'react';
import type { UnreadableValue } from './trpc/types';

const PREVIEW_CHARS = 20_000;

/**
 * A value as pretty JSON text in a <pre>: never interpreted as HTML. Long values are cut. A
 * value the server could not deserialize is shown as a note and the text it has stored.
 */
export function JsonBlock({ value, label }: { value: unknown; label: string }) {
  const [full, setFull] = useState(false);
  if (isUnreadable(value)) return <UnreadableBlock value={value} label={label} />;
  const text = toJsonText(value);
  const cut = !full && text.length > PREVIEW_CHARS;
  return (
    <div className="json-block">
      <pre className="code" aria-label={label} tabIndex={0}>
        {cut ? `${text.slice(0, PREVIEW_CHARS)}\n…` : text}
      </pre>
      {cut && (
        <button type="button" className="button button-small" onClick={() => setFull(true)}>
          Show all {text.length.toLocaleString()} characters
        </button>
      )}
    </div>
  );
}

function UnreadableBlock({ value, label }: { value: UnreadableValue; label: string }) {
  const shown = value.unreadableValue.length;
  const cut = value.storedLength > shown;
  return (
    <div className="json-block">
      <p className="notice" role="note">
        Could not be read: {value.error}
      </p>
      <pre className="code" aria-label={`${label} as stored`} tabIndex={0}>
        {cut ? `${value.unreadableValue}\n…` : value.unreadableValue}
      </pre>
      {cut && (
        <p className="muted">
          The first {shown.toLocaleString()} of {value.storedLength.toLocaleString()} stored
          characters.
        </p>
      )}
    </div>
  );
}

/** The marker's fields (checked against its type, so the two cannot drift apart). */
const UNREADABLE_FIELDS = {
  unreadableValue: 'string',
  storedLength: 'number',
  error: 'string',
} as const satisfies Record<keyof UnreadableValue, 'string' | 'number'>;

function isUnreadable(value: unknown): value is UnreadableValue {
  if (typeof value !== 'object' || value === null) return false;
  const fields: Record<string, unknown> = { ...value };
  return Object.entries(UNREADABLE_FIELDS).every(([key, type]) => typeof fields[key] === type);
}

export function toJsonText(value: unknown, indent: number | undefined = 2): string {
  if (value === undefined) return 'undefined';
  try {
    return (
      JSON.stringify(
        value,
        (_key, inner: unknown) => (typeof inner === 'bigint' ? `${inner}n` : inner),
        indent,
      ) ?? describe(value)
    );
  } catch {
    // Circular or otherwise not JSON: say what it is rather than fail the page.
    return describe(value);
  }
}

/** One line of JSON for tables, cut to `max` characters. */
export function compactJson(value: unknown, max = 160): string {
  const text = toJsonText(value, 0);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function describe(value: unknown): string {
  if (typeof value === 'function') return '[function]';
  if (typeof value === 'symbol') return value.toString();
  return `[${typeof value} that is not JSON]`;
}
