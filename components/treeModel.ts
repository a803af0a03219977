/**
 * The execution tree as the page shows it: children by index then the finalize task, large
 * child lists cut into pages, and the rows visible for a given expansion state.
 */
import type { ExecutionSummary } from './trpc/types';

export const CHILDREN_PAGE = 50;

export interface TreeIndex {
  root: ExecutionSummary;
  byId: Map<string, ExecutionSummary>;
  /** Children (not the finalize task) of each parent, by index. */
  children: Map<string, ExecutionSummary[]>;
  finalize: Map<string, ExecutionSummary>;
}

export type TreeRow =
  | { kind: 'node'; node: ExecutionSummary; depth: number; hasChildren: boolean }
  | { kind: 'more'; parentId: string; depth: number; shown: number; total: number };

export function indexTree(nodes: ExecutionSummary[], rootExecutionId: string): TreeIndex | null {
  const byId = new Map(nodes.map((node) => [node.executionId, node]));
  const root = byId.get(rootExecutionId);
  if (!root) return null;
  const children = new Map<string, ExecutionSummary[]>();
  const finalize = new Map<string, ExecutionSummary>();
  for (const node of nodes) {
    if (!node.parentExecutionId) continue;
    if (node.isFinalizeTask) {
      finalize.set(node.parentExecutionId, node);
      continue;
    }
    const siblings = children.get(node.parentExecutionId) ?? [];
    siblings.push(node);
    children.set(node.parentExecutionId, siblings);
  }
  for (const siblings of children.values()) {
    siblings.sort((a, b) => (a.indexInParent ?? 0) - (b.indexInParent ?? 0));
  }
  return { root, byId, children, finalize };
}

export function hasDescendants(tree: TreeIndex, id: string): boolean {
  return (tree.children.get(id)?.length ?? 0) > 0 || tree.finalize.has(id);
}

/** The ids from the root down to `id` (both included), or [] when `id` is not in the tree. */
export function pathTo(tree: TreeIndex, id: string): string[] {
  const path: string[] = [];
  let node = tree.byId.get(id);
  while (node) {
    path.unshift(node.executionId);
    node = node.parentExecutionId ? tree.byId.get(node.parentExecutionId) : undefined;
  }
  return path;
}

/** How many children of `parentId` to show so that `childId` is among them. */
export function childrenShownFor(tree: TreeIndex, parentId: string, childId: string): number {
  const position = tree.children.get(parentId)?.findIndex((c) => c.executionId === childId) ?? -1;
  return position < 0 ? CHILDREN_PAGE : Math.ceil((position + 1) / CHILDREN_PAGE) * CHILDREN_PAGE;
}

export function visibleRows(
  tree: TreeIndex,
  isExpanded: (id: string) => boolean,
  shownChildren: (id: string) => number,
): TreeRow[] {
  const rows: TreeRow[] = [];
  const visit = (node: ExecutionSummary, depth: number) => {
    const hasChildren = hasDescendants(tree, node.executionId);
    rows.push({ kind: 'node', node, depth, hasChildren });
    if (!hasChildren || !isExpanded(node.executionId)) return;
    const children = tree.children.get(node.executionId) ?? [];
    const shown = Math.min(children.length, shownChildren(node.executionId));
    for (const child of children.slice(0, shown)) visit(child, depth + 1);
    if (shown < children.length) {
      rows.push({
        kind: 'more',
        parentId: node.executionId,
        depth: depth + 1,
        shown,
        total: children.length,
      });
    }
    const finalize = tree.finalize.get(node.executionId);
    if (finalize) visit(finalize, depth + 1);
  };
  visit(tree.root, 0);
  return rows;
}

/** Counts of a parent's children by status, for its row's summary. */
export function childStatusCounts(tree: TreeIndex, id: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const child of tree.children.get(id) ?? []) {
    counts.set(child.status, (counts.get(child.status) ?? 0) + 1);
  }
  return counts;
}
