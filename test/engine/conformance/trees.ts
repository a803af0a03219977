/** Recursive task trees: a parent task whose children are the same task, deep and wide. */
import { describe, expect, it } from 'vitest';
import type { ChildTaskOutput, DefaultParentTaskOutput, DurableTask } from '@/server/engine';
import {
  expectCompleted,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

type NodeOutput = DefaultParentTaskOutput<number>;

/** Follows the only child at each level, returning the outputs from the root down. */
function chainOf(output: NodeOutput): ChildTaskOutput[][] {
  const levels: ChildTaskOutput[][] = [];
  for (let node: NodeOutput | undefined = output; node;) {
    levels.push(node.childrenTasksOutputs);
    node = node.childrenTasksOutputs[0]?.output as NodeOutput | undefined;
  }
  return levels;
}

function sumTree(output: NodeOutput): number {
  return output.childrenTasksOutputs.reduce(
    (acc, child) => acc + sumTree(child.output as NodeOutput),
    output.output,
  );
}

export function describeTrees(factory: EngineStoreFactory): void {
  describe('recursive task trees', () => {
    const engine = useEngineHarness(factory);

    it('runs a recursive tree of depth 10 with the root recorded on every node', async () => {
      const executor = engine.createExecutor();
      const node: DurableTask<number, NodeOutput> = executor.parentTask({
        id: 'chain_node',
        timeoutMs: 1000,
        runParent: (_ctx, depth: number) => ({
          output: depth,
          childrenTasks: depth < 10 ? [{ task: node, input: depth + 1 }] : [],
        }),
      });
      executor.start();

      const handle = await executor.enqueueTask(node, 1);
      const execution = expectCompleted(await waitFinished(handle));
      const levels = chainOf(execution.output);
      expect(levels).toHaveLength(10);
      expect(levels.at(-1)).toEqual([]);

      let outputs: NodeOutput | undefined = execution.output;
      const depths: number[] = [];
      let deepestId = handle.getTaskExecutionId();
      while (outputs) {
        depths.push(outputs.output);
        const child = outputs.childrenTasksOutputs[0];
        if (child) deepestId = child.executionId;
        outputs = child?.output as NodeOutput | undefined;
      }
      expect(depths).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

      const deepest = await (await executor.getTaskHandle(node, deepestId)).getTaskExecution();
      expect(deepest.status).toBe('completed');
      expect(deepest.rootTask).toEqual({
        taskId: 'chain_node',
        executionId: handle.getTaskExecutionId(),
      });
      expect(deepest.parentTask?.executionId).not.toBe(handle.getTaskExecutionId());
    });

    it('runs a wide recursive tree (binary, depth 5) and collects every output', async () => {
      const executor = engine.createExecutor();
      let runs = 0;
      const node: DurableTask<number, NodeOutput> = executor.parentTask({
        id: 'binary_node',
        timeoutMs: 1000,
        runParent: (_ctx, depth: number) => {
          runs += 1;
          return {
            output: 1,
            childrenTasks:
              depth < 5 ? [0, 1].map(() => ({ task: node, input: depth + 1 })) : undefined,
          };
        },
      });
      executor.start();

      const execution = expectCompleted(await waitFinished(await executor.enqueueTask(node, 1)));
      expect(runs).toBe(31);
      expect(sumTree(execution.output)).toBe(31);
    });
  });
}
