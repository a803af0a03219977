/**
 * A realistic example: process an uploaded text file. Two children run in parallel (extract a
 * title, summarise), and a finalize step combines them into one report.
 */
import type { DurableExecutor, FinalizeTaskInput } from '@/server/engine';
import { processFileInput } from './schemas';

interface FileInput {
  fileName: string;
  content: string;
}

export function defineFileProcessingTasks(executor: DurableExecutor) {
  const extractTitle = executor.task({
    id: 'extractTitle',
    timeoutMs: 30_000,
    retryOptions: { maxAttempts: 3, baseDelayMs: 200, delayMultiplier: 2 },
    run: (_ctx, { content, fileName }: FileInput) => {
      const firstLine = content.split('\n').find((line) => line.trim().length > 0);
      return { title: firstLine ? firstLine.replace(/^#+\s*/, '').trim() : fileName };
    },
  });

  const summarise = executor.task({
    id: 'summarise',
    timeoutMs: 30_000,
    retryOptions: { maxAttempts: 3, baseDelayMs: 200, delayMultiplier: 2 },
    run: (_ctx, { content }: FileInput) => {
      const words = content.split(/\s+/).filter(Boolean);
      const sentences = content.split(/(?<=[.!?])\s+/).filter((s) => s.trim().length > 0);
      return { wordCount: words.length, summary: sentences.slice(0, 2).join(' ').slice(0, 500) };
    },
  });

  const combineFileReport = executor.task({
    id: 'combineFileReport',
    timeoutMs: 10_000,
    run: (_ctx, { input, childrenTasksOutputs }: FinalizeTaskInput<FileInput, null>) => {
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

  const processFile = executor.inputSchema(processFileInput).parentTask({
    id: 'processFile',
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

  return { processFile };
}
