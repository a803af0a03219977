'use client';

import { skipToken, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { compactJson } from './JsonBlock';
import { isActiveStatus } from './status';
import { StatusBadge } from './StatusBadge';
import type { TreeIndex } from './treeModel';
import { useTRPC } from './trpc/react';
import type { ExecutionDetails } from './trpc/types';

const OUTPUTS_PAGE = 20;

interface ChildOutput {
  index: number;
  output: unknown;
  /** The error of a child that did not complete, as a parent that continues reports it. */
  errorMessage?: string;
}

/**
 * The children of a parent with their outputs, by index. Outputs come from the parent's own
 * output (no finalize task) or from the input its finalize task received.
 */
export function ChildrenOutputs({
  execution,
  tree,
  onSelect,
}: {
  execution: ExecutionDetails;
  tree: TreeIndex;
  onSelect: (id: string) => void;
}) {
  const trpc = useTRPC();
  const [shown, setShown] = useState(OUTPUTS_PAGE);
  const finalizeId = execution.finalizeTask?.executionId;
  const fromOutput = readChildrenOutputs(execution.output);
  const finalize = useQuery(
    trpc.executions.get.queryOptions(
      finalizeId !== undefined && fromOutput === null ? { executionId: finalizeId } : skipToken,
    ),
  );
  const outputs = fromOutput ?? readChildrenOutputs(finalize.data?.runInput);
  const byIndex = new Map(outputs?.map((child) => [child.index, child]));
  const continues = outputs?.some((child) => child.errorMessage !== undefined) ?? false;
  const children = tree.children.get(execution.executionId) ?? [];
  const total = execution.childrenTasks?.length ?? children.length;

  return (
    <section className="details-section" aria-label="Children outputs">
      <h3>
        Children outputs <span className="muted">({total})</span>
      </h3>
      {!outputs && (
        <p className="muted">
          {isActiveStatus(execution.status)
            ? 'Outputs are listed here once every child completed; select a child to see its own.'
            : execution.status === 'completed'
              ? 'The children outputs could not be read; select a child to see its own.'
              : 'This parent did not complete, so it has no children outputs; select a child to see its own.'}
        </p>
      )}
      {continues && (
        <p className="muted">
          This parent continues when a child fails: every child&apos;s outcome is listed.
        </p>
      )}
      <div className="table-wrap">
        <table className="table children-table">
          <thead>
            <tr>
              <th scope="col" className="numeric">
                #
              </th>
              <th scope="col">Child</th>
              <th scope="col">Status</th>
              <th scope="col">Output</th>
            </tr>
          </thead>
          <tbody>
            {children.slice(0, shown).map((child) => (
              <tr key={child.executionId}>
                <td className="numeric" data-label="#">
                  {child.indexInParent}
                </td>
                <td data-label="Child">
                  <button
                    type="button"
                    className="link-button mono"
                    onClick={() => onSelect(child.executionId)}
                  >
                    {child.executionId}
                  </button>
                </td>
                <td data-label="Status">
                  <StatusBadge status={child.status} />
                </td>
                <td data-label="Output">
                  <ChildOutcome
                    entry={
                      child.indexInParent === null ? undefined : byIndex.get(child.indexInParent)
                    }
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {children.length > shown && (
        <p className="show-more">
          {shown} of {children.length} shown.{' '}
          <button
            type="button"
            className="button button-small"
            onClick={() => setShown((n) => n + OUTPUTS_PAGE)}
          >
            Show {Math.min(OUTPUTS_PAGE, children.length - shown)} more
          </button>
        </p>
      )}
    </section>
  );
}

function ChildOutcome({ entry }: { entry: ChildOutput | undefined }) {
  if (!entry) return <span className="muted">—</span>;
  if (entry.errorMessage !== undefined) {
    return <span className="child-error">{entry.errorMessage}</span>;
  }
  return <code className="inline-json">{compactJson(entry.output)}</code>;
}

function readChildrenOutputs(value: unknown): ChildOutput[] | null {
  if (typeof value !== 'object' || value === null || !('childrenTasksOutputs' in value)) {
    return null;
  }
  const list = value.childrenTasksOutputs;
  if (!Array.isArray(list)) return null;
  return list.flatMap((item: unknown) =>
    typeof item === 'object' && item !== null && 'index' in item && typeof item.index === 'number'
      ? [
          {
            index: item.index,
            output: 'output' in item ? item.output : undefined,
            ...('error' in item ? { errorMessage: errorMessageOf(item.error) } : {}),
          },
        ]
      : [],
  );
}

function errorMessageOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'message' in error
    ? String(error.message)
    : 'Failed';
}
