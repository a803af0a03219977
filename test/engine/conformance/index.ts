/**
 * The engine conformance suite: every behaviour of SPEC.md §1-§2 through the public executor
 * API, on any `DurableStorage`. Each store (in-memory, SQLite, PostgreSQL) runs it unchanged.
 */
import { describe } from 'vitest';
import { describeBackstop } from './backstop';
import { describeBasics } from './basics';
import { describeCancel } from './cancel';
import { describeChildFailurePolicy } from './childFailurePolicy';
import { describeCascadeCancel } from './cascadeCancel';
import { describeClaims } from './claims';
import { describeDirectStarts } from './directStarts';
import { describeFinalize } from './finalize';
import { describeFlowControl } from './flowControl';
import { describeHandles } from './handles';
import { describeHeartbeats } from './heartbeats';
import { describeInlineFinalize } from './inlineFinalize';
import type { EngineStoreFactory } from './harness';
import { describeLeases } from './leases';
import { describeLimits } from './limits';
import { describeMetrics } from './metrics';
import { describeOptionValidation } from './optionValidation';
import { describeParents } from './parents';
import { describeProgress } from './progress';
import { describeReferenceApi } from './referenceApi';
import { describeRetries } from './retries';
import { describeScheduling } from './scheduling';
import { describeSequential } from './sequential';
import { describeRetention } from './retention';
import { describeShutdown } from './shutdown';
import { describeSleepingTasks } from './sleepingTasks';
import { describeTimeouts } from './timeouts';
import { describeTrees } from './trees';
import { describeValidation } from './validation';
import { describeWakeups } from './wakeups';

export type { EngineStoreFactory, EngineTestStore } from './harness';
export { describeEngineStress, type StressOptions } from './stress';

export function describeEngineConformance(name: string, factory: EngineStoreFactory): void {
  describe(`engine conformance: ${name}`, { timeout: 10_000 }, () => {
    describeBasics(factory);
    describeBackstop(factory);
    describeValidation(factory);
    describeOptionValidation(factory);
    describeRetries(factory);
    describeTimeouts(factory);
    describeCancel(factory);
    describeParents(factory);
    describeProgress(factory);
    describeFinalize(factory);
    describeInlineFinalize(factory);
    describeChildFailurePolicy(factory);
    describeFlowControl(factory);
    describeCascadeCancel(factory);
    describeTrees(factory);
    describeSequential(factory);
    describeScheduling(factory);
    describeClaims(factory);
    describeDirectStarts(factory);
    describeLeases(factory);
    describeHandles(factory);
    describeLimits(factory);
    describeWakeups(factory);
    describeSleepingTasks(factory);
    describeRetention(factory);
    describeShutdown(factory);
    describeHeartbeats(factory);
    describeMetrics(factory);
    describeReferenceApi(factory);
  });
}
