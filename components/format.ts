/** Formatting of times and durations, the same everywhere in the dashboard. */
import { useEffect, useState } from 'react';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const totalSeconds = Math.floor(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

/** How long an execution ran: start to finish, or start to now while it runs. */
export function runDuration(
  execution: { startedAt?: Date | null; finishedAt?: Date | null },
  now: number,
): number | null {
  if (!execution.startedAt) return null;
  const end = execution.finishedAt ? execution.finishedAt.getTime() : now;
  return end - execution.startedAt.getTime();
}

export function formatTimestamp(date: Date | null | undefined): string {
  if (!date) return '—';
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.` +
    pad(date.getMilliseconds(), 3)
  );
}

export function formatRelative(date: Date, now: number): string {
  const seconds = Math.round((now - date.getTime()) / 1000);
  if (seconds < -5) return `in ${formatDuration(-seconds * 1000)}`;
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

/** Attempts made so far: the first run plus retries and lease recoveries. */
export function attemptCount(execution: {
  startedAt?: Date | null;
  retryAttempts: number;
  recoveryAttempts: number;
}): number {
  const reruns = execution.retryAttempts + execution.recoveryAttempts;
  return execution.startedAt || reruns > 0 ? reruns + 1 : 0;
}

/** The current time, ticking every `intervalMs` while `enabled`. */
export function useNow(intervalMs: number, enabled = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!enabled) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, enabled]);
  return now;
}

/** A retry policy in words: "up to 2 retries, first after 100 ms, ×2 each, at most 1.00 s". */
export function describeRetry(retry: {
  maxAttempts: number;
  baseDelayMs?: number | null;
  delayMultiplier?: number | null;
  maxDelayMs?: number | null;
}): string {
  if (retry.maxAttempts === 0) return 'No retries';
  const parts = [`up to ${retry.maxAttempts} ${retry.maxAttempts === 1 ? 'retry' : 'retries'}`];
  if (retry.baseDelayMs) parts.push(`first after ${formatDuration(retry.baseDelayMs)}`);
  if (retry.delayMultiplier && retry.delayMultiplier !== 1)
    parts.push(`×${retry.delayMultiplier} each`);
  if (typeof retry.maxDelayMs === 'number')
    parts.push(`at most ${formatDuration(retry.maxDelayMs)}`);
  return parts.join(', ');
}
