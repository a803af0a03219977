/**
 * A realistic example: process an uploaded text file. Two children run in parallel (extract a
 * title, summarise), and a finalize step combines them into one report. Public: any visitor
 * may enqueue it, and read or cancel their own executions.
 */
import { z } from 'zod';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FinalizeTaskInput, TaskRunContext } from '@/server/engine';
import { defineTask } from './defineTask';

interface FileInput {
  fileName: string;
  content: string;
  /** A pause in each step (a demo of slow work: progress, cancel). */
  pauseMs?: number;
}

async function pause(ctx: TaskRunContext, ms: number | undefined): Promise<void> {
  if (ms) await sleep(ms, undefined, { signal: ctx.cancelSignal.abortSignal });
}

export interface FileReport {
  fileName: string;
  title: string;
  wordCount: number;
  summary: string;
}

export const processFile = defineTask({
  id: 'processFile',
  description: 'Extracts a title and a summary in parallel, then combines them.',
  access: 'public',
  input: z.object({
    fileName: z.string().min(1).max(255),
    content: z.string().max(500_000),
    pauseMs: z.number().int().min(0).max(10_000).optional().describe('A pause in each step'),
  }),
  define: (b, { id, executor }) => {
    const extractTitle = executor.task({
      id: 'extractTitle',
      timeoutMs: 30_000,
      retryOptions: { maxAttempts: 3, baseDelayMs: 200, delayMultiplier: 2 },
      run: async (ctx, { content, fileName, pauseMs }: FileInput) => {
        await pause(ctx, pauseMs);
        const firstLine = content.split('\n').find((line) => line.trim().length > 0);
        return { title: firstLine ? firstLine.replace(/^#+\s*/, '').trim() : fileName };
      },
    });

    const summarise = executor.task({
      id: 'summarise',
      timeoutMs: 30_000,
      retryOptions: { maxAttempts: 3, baseDelayMs: 200, delayMultiplier: 2 },
      run: async (ctx, { content, pauseMs }: FileInput) => {
        const words = content.split(/\s+/).filter(Boolean);
        const sentences = content.split(/(?<=[.!?])\s+/).filter((s) => s.trim().length > 0);
        ctx.progress({ current: 0, total: sentences.length, message: 'Reading sentences' });
        await pause(ctx, pauseMs);
        ctx.progress({ current: sentences.length, total: sentences.length });
        return { wordCount: words.length, summary: sentences.slice(0, 2).join(' ').slice(0, 500) };
      },
    });

    const combineFileReport = executor.task({
      id: 'combineFileReport',
      timeoutMs: 10_000,
      run: (
        _ctx,
        { input, childrenTasksOutputs }: FinalizeTaskInput<FileInput, null>,
      ): FileReport => {
        const [title, summary] = childrenTasksOutputs.map((child) => child.output) as [
          { title: string },
          { wordCount: number; summary: string },
        ];
        return {
          fileName: input.fileName,
          title: title.title,
          wordCount: summary.wordCount,
          summary: summary.summary,
        };
      },
    });

    return b.parentTask({
      id,
      timeoutMs: 10_000,
      runParent: (_ctx, input) => ({
        output: null,
        childrenTasks: [
          { task: extractTitle, input },
          { task: summarise, input },
        ],
      }),
      finalizeTask: combineFileReport,
    });
  },
});
