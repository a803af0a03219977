/**
 * The exports and signatures shared with durable-execution 0.11: serializers, cancel signals
 * and the ids of running executions, as task code and apps written for it use them.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  createCancelSignal,
  createSuperjsonSerializer,
  createTimeoutCancelSignal,
  DurableExecutionCancelledError,
  DurableExecutionError,
  WrappedSerializer,
} from '@/server/engine';
import type { Serializer } from '@/server/engine';
import { aborted, createDeferred, never, rejectionOf, waitFor } from '../helpers';
import {
  expectCompleted,
  expectFinishedWith,
  silentLogger,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

/** A serializer that throws on one marker value, as a user's custom serializer might. */
function failingOn(marker: string): Serializer {
  const inner = createSuperjsonSerializer();
  return {
    serialize: (value) => {
      if (value === marker) throw new Error(`cannot serialize ${marker}`);
      return inner.serialize(value);
    },
    deserialize: (text) => {
      if (text === marker) throw new Error(`cannot read ${marker}`);
      return inner.deserialize(text);
    },
  };
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('Expected a throw');
}

export function describeReferenceApi(factory: EngineStoreFactory): void {
  describe('durable-execution 0.11 exports', () => {
    const engine = useEngineHarness(factory);

    it('createSuperjsonSerializer keeps rich values, also as the executor serializer', async () => {
      const serializer = createSuperjsonSerializer();
      const value = { at: new Date(5), tags: new Map([['a', 1]]), big: 10n, gone: undefined };
      expect(serializer.deserialize(serializer.serialize(value))).toEqual(value);

      const executor = engine.createExecutor({ serializer });
      const later = executor.task({
        id: 'later',
        timeoutMs: 1000,
        run: (_ctx, at: Date) => new Date(at.getTime() + 1000),
      });
      executor.start();
      const execution = expectCompleted(
        await waitFinished(await executor.enqueueTask(later, new Date(1000))),
      );
      expect(execution.output).toEqual(new Date(2000));
      expect(execution.runInput).toEqual(new Date(1000));
    });

    it('WrappedSerializer turns serializer failures into non-retryable errors', () => {
      const wrapped = new WrappedSerializer(failingOn('boom'));
      expect(wrapped.deserialize<number>(wrapped.serialize(1))).toBe(1);

      const serializeError = thrownBy(() => wrapped.serialize('boom'));
      expect(serializeError).toBeInstanceOf(DurableExecutionError);
      expect((serializeError as DurableExecutionError).message).toBe(
        'Error serializing value: cannot serialize boom',
      );
      expect((serializeError as DurableExecutionError).isRetryable).toBe(false);
      const deserializeError = thrownBy(() => wrapped.deserialize('boom'));
      expect((deserializeError as DurableExecutionError).message).toBe(
        'Error deserializing value: cannot read boom',
      );
      expect((deserializeError as DurableExecutionError).isRetryable).toBe(false);
    });

    it('fails a run whose output a WrappedSerializer refuses, wrapping the message once', async () => {
      const executor = engine.createExecutor({
        serializer: new WrappedSerializer(failingOn('boom')),
      });
      const explode = executor.task({
        id: 'explode',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 2 },
        run: () => 'boom',
      });
      executor.start();
      const execution = expectFinishedWith(
        await waitFinished(await executor.enqueueTask(explode, undefined)),
        'failed',
      );
      expect(execution.error).toMatchObject({
        errorType: 'generic',
        message: 'Error serializing value: cannot serialize boom',
        isRetryable: false,
      });
      expect(execution.retryAttempts).toBe(0);
    });

    it('lists the executions running in this executor only', async () => {
      const runner = engine.createExecutor();
      const bystander = engine.createExecutor();
      const release = createDeferred();
      const started = createDeferred();
      const held = runner.task({
        id: 'held',
        timeoutMs: 5000,
        run: async () => {
          started.resolve();
          await release.promise;
          return 'released';
        },
      });
      bystander.task({ id: 'held', timeoutMs: 5000, run: () => 'not here' });
      expect(runner.getRunningTaskExecutionIds()).toEqual(new Set());
      runner.start();

      const handle = await runner.enqueueTask(held, undefined);
      await started.promise;
      const running = runner.getRunningTaskExecutionIds();
      expect(running).toBeInstanceOf(Set);
      expect([...running]).toEqual([handle.getTaskExecutionId()]);
      expect(bystander.getRunningTaskExecutionIds().size).toBe(0);

      release.resolve();
      expectCompleted(await waitFinished(handle));
      await waitFor(() => runner.getRunningTaskExecutionIds().size === 0, {
        message: 'the finished run to leave the running ids',
      });
      // A snapshot: the set handed out earlier does not change under its holder.
      expect([...running]).toEqual([handle.getTaskExecutionId()]);
    });

    it('createCancelSignal returns [signal, cancel], optionally tied to an AbortSignal', () => {
      const [signal, cancel] = createCancelSignal();
      const calls: string[] = [];
      const cleared = () => calls.push('cleared');
      signal.onCancelled(() => calls.push('first'));
      signal.onCancelled(cleared);
      signal.clearOnCancelled(cleared);
      expect(signal.isCancelled()).toBe(false);
      cancel();
      cancel();
      expect(signal.isCancelled()).toBe(true);
      expect(signal.abortSignal.aborted).toBe(true);
      expect(calls).toEqual(['first']);
      signal.onCancelled(() => calls.push('late'));
      expect(calls).toEqual(['first', 'late']);

      const controller = new AbortController();
      const [tied] = createCancelSignal({ abortSignal: controller.signal });
      expect(tied.isCancelled()).toBe(false);
      controller.abort();
      expect(tied.isCancelled()).toBe(true);

      const [born] = createCancelSignal({ abortSignal: AbortSignal.abort() });
      expect(born.isCancelled()).toBe(true);
    });

    it('logs a cancel listener that throws, and still calls the others', () => {
      const logger = { ...silentLogger, error: vi.fn() };
      const [signal, cancel] = createCancelSignal({ logger });
      const after = vi.fn();
      signal.onCancelled(() => {
        throw new Error('listener broke');
      });
      signal.onCancelled(after);
      cancel();
      expect(after).toHaveBeenCalledTimes(1);
      expect(logger.error).toHaveBeenCalledWith(
        'A cancel signal listener threw',
        expect.objectContaining({ message: 'listener broke' }),
      );
    });

    it('createTimeoutCancelSignal returns a signal that cancels after its time', async () => {
      const signal = createTimeoutCancelSignal(20);
      expect(signal.isCancelled()).toBe(false);
      const fired = vi.fn();
      signal.onCancelled(fired);
      await aborted(signal.abortSignal);
      expect(signal.isCancelled()).toBe(true);
      expect(fired).toHaveBeenCalledTimes(1);
    });

    it('ends a wait with a timeout cancel signal, leaving the execution running', async () => {
      const executor = engine.createExecutor();
      const started = createDeferred();
      const hung = executor.task({
        id: 'hung_for_wait',
        timeoutMs: 60_000,
        run: () => {
          started.resolve();
          return never();
        },
      });
      executor.start();
      const handle = await executor.enqueueTask(hung, undefined);
      await started.promise;

      const error = await rejectionOf(
        handle.waitAndGetTaskFinishedExecution({
          signal: createTimeoutCancelSignal(50),
          pollingIntervalMs: 60_000,
        }),
      );
      expect(error).toBeInstanceOf(DurableExecutionCancelledError);
      expect((await handle.getTaskExecution()).status).toBe('running');
      await handle.cancel();
    });

    it('lets task code subscribe to and clear cancel listeners on ctx.cancelSignal', async () => {
      const executor = engine.createExecutor();
      const subscribed = createDeferred();
      const calls: string[] = [];
      const task = executor.task({
        id: 'listens',
        timeoutMs: 60_000,
        run: async (ctx) => {
          const cleared = () => calls.push('cleared');
          ctx.cancelSignal.onCancelled(() => calls.push('kept'));
          ctx.cancelSignal.onCancelled(cleared);
          ctx.cancelSignal.clearOnCancelled(cleared);
          subscribed.resolve();
          await aborted(ctx.cancelSignal.abortSignal);
          return 'cancelled';
        },
      });
      executor.start();
      const handle = await executor.enqueueTask(task, undefined);
      await subscribed.promise;
      await handle.cancel();
      expectFinishedWith(await waitFinished(handle), 'cancelled');
      await waitFor(() => calls.length > 0, { message: 'the cancel listener' });
      expect(calls).toEqual(['kept']);
    });
  });
}
