'use client';

import { useEffect, useId, useState } from 'react';
import type { ListFilters } from './listFilters';

interface Props {
  filters: ListFilters;
  onChange: (next: Partial<ListFilters>) => void;
}

/** Search by a value of the input or output (`input.customerId = "c_42"`) and by creation time. */
export function ValueFilters({ filters, onChange }: Props) {
  const whereId = useId();
  const [text, setText] = useState(filters.where);
  const [lastValue, setLastValue] = useState(filters.where);
  if (filters.where !== lastValue) {
    setLastValue(filters.where);
    setText(filters.where);
  }
  useEffect(() => {
    const trimmed = text.trim();
    if (trimmed === filters.where) return;
    const timer = setTimeout(() => onChange({ where: trimmed }), 500);
    return () => clearTimeout(timer);
  }, [text, filters.where, onChange]);

  return (
    <div className="filter-row">
      <div className="field-inline search value-search">
        <label htmlFor={whereId}>Input / output</label>
        <input
          id={whereId}
          type="search"
          placeholder='input.customerId = "c_42"'
          value={text}
          maxLength={1200}
          spellCheck={false}
          autoComplete="off"
          onChange={(event) => setText(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') onChange({ where: text.trim() });
          }}
        />
      </div>
      <label className="field-inline">
        <span>Created from</span>
        <input
          type="datetime-local"
          value={filters.from}
          onChange={(event) => onChange({ from: event.target.value })}
        />
      </label>
      <label className="field-inline">
        <span>to</span>
        <input
          type="datetime-local"
          value={filters.to}
          onChange={(event) => onChange({ to: event.target.value })}
        />
      </label>
    </div>
  );
}
