'use client';

import { useEffect, useId, useState } from 'react';
import { PAGE_SIZES, type ListFilters } from './listFilters';
import { ALL_STATUSES, STATUS_META } from './status';
import { StatusIcon } from './StatusIcon';
import { ValueFilters } from './ValueFilters';
import type { ExecutionStats, ExecutionStatus } from './trpc/types';

interface Props {
  filters: ListFilters;
  stats: ExecutionStats | undefined;
  taskIds: string[];
  onChange: (next: Partial<ListFilters>) => void;
}

/** Status chips with counts, the task filter, roots only, search by id and the page size. */
export function ExecutionFilters({ filters, stats, taskIds, onChange }: Props) {
  const counts = statusCounts(stats, filters.taskId);
  const total = ALL_STATUSES.reduce((sum, status) => sum + (counts.get(status) ?? 0), 0);
  const toggle = (status: ExecutionStatus) =>
    onChange({
      statuses: filters.statuses.includes(status)
        ? filters.statuses.filter((s) => s !== status)
        : [...filters.statuses, status],
    });

  return (
    <div className="filters">
      <div className="chips" role="group" aria-label="Filter by status">
        <button
          type="button"
          className="chip"
          aria-pressed={filters.statuses.length === 0}
          onClick={() => onChange({ statuses: [] })}
        >
          {filters.statuses.length === 0 && <Check />}
          All <span className="chip-count">{stats ? total : '…'}</span>
        </button>
        {ALL_STATUSES.map((status) => {
          const meta = STATUS_META[status];
          const count = counts.get(status) ?? 0;
          const pressed = filters.statuses.includes(status);
          if (count === 0 && !pressed) return null;
          return (
            <button
              key={status}
              type="button"
              className={`chip status-${meta.tone}`}
              aria-pressed={pressed}
              onClick={() => toggle(status)}
              data-status={status}
            >
              {pressed && <Check />}
              <StatusIcon status={status} />
              {meta.label} <span className="chip-count">{count}</span>
            </button>
          );
        })}
      </div>
      <div className="filter-row">
        <SearchBox value={filters.search} onSearch={(search) => onChange({ search })} />
        <TaskSelect
          value={filters.taskId}
          taskIds={taskIds}
          onSelect={(taskId) => onChange({ taskId })}
        />
        <label className="checkbox">
          <input
            type="checkbox"
            checked={filters.rootOnly}
            onChange={(event) => onChange({ rootOnly: event.target.checked })}
          />
          Roots only
        </label>
        <label className="field-inline">
          <span>Per page</span>
          <select
            value={filters.limit}
            onChange={(event) => onChange({ limit: Number(event.target.value) })}
          >
            {PAGE_SIZES.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ValueFilters filters={filters} onChange={onChange} />
    </div>
  );
}

function SearchBox({ value, onSearch }: { value: string; onSearch: (search: string) => void }) {
  const id = useId();
  const [text, setText] = useState(value);
  const [lastValue, setLastValue] = useState(value);
  if (value !== lastValue) {
    // The URL changed (back button, cleared filters): show what it says.
    setLastValue(value);
    setText(value);
  }
  useEffect(() => {
    const trimmed = text.trim();
    if (trimmed === value) return;
    const timer = setTimeout(() => onSearch(trimmed), 300);
    return () => clearTimeout(timer);
  }, [text, value, onSearch]);

  return (
    <div className="field-inline search">
      <label htmlFor={id}>Execution id</label>
      <input
        id={id}
        type="search"
        placeholder="te_… (prefix)"
        value={text}
        maxLength={64}
        spellCheck={false}
        autoComplete="off"
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter') onSearch(text.trim());
        }}
      />
    </div>
  );
}

function TaskSelect({
  value,
  taskIds,
  onSelect,
}: {
  value: string | null;
  taskIds: string[];
  onSelect: (taskId: string | null) => void;
}) {
  const options = value && !taskIds.includes(value) ? [value, ...taskIds] : taskIds;
  return (
    <label className="field-inline">
      <span>Task</span>
      <select value={value ?? ''} onChange={(event) => onSelect(event.target.value || null)}>
        <option value="">All tasks</option>
        {options.map((taskId) => (
          <option key={taskId} value={taskId}>
            {taskId}
          </option>
        ))}
      </select>
    </label>
  );
}

function statusCounts(
  stats: ExecutionStats | undefined,
  taskId: string | null,
): Map<ExecutionStatus, number> {
  const counts = new Map<ExecutionStatus, number>();
  if (!stats) return counts;
  if (!taskId) {
    for (const status of ALL_STATUSES) counts.set(status, stats.byStatus[status] ?? 0);
    return counts;
  }
  for (const row of stats.byTask) {
    if (row.taskId === taskId) counts.set(row.status, (counts.get(row.status) ?? 0) + row.count);
  }
  return counts;
}

/** The pressed state as a shape too (announced through aria-pressed, so hidden here). */
function Check() {
  return (
    <span className="chip-check" aria-hidden="true">
      ✓
    </span>
  );
}
