'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from './trpc/react';

/** The retention in force: how long finished trees are kept before the executor prunes them. */
export function RetentionNote() {
  const trpc = useTRPC();
  const retention = useQuery(trpc.executions.retention.queryOptions()).data;
  if (!retention) return null;
  return (
    <p className="muted" data-testid="retention">
      {retention.retentionMs === null
        ? 'Retention: off, finished executions are kept.'
        : `Retention: finished trees are pruned ${describeDays(retention.retentionMs)} after they finish.`}
    </p>
  );
}

function describeDays(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${ms} ms`;
}
