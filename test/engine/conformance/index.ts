/**
 * The engine conformance suite: every behaviour of SPEC.md §1-§2 through the public executor
 * API, on any `DurableStorage`. Each store (in-memory, SQLite, PostgreSQL) runs it unchanged.
 */
import { describe } from 'vitest';
import { describeBasics } from './basics';
import { describeCancel } from './cancel';
import { describeCascadeCancel } from './cascadeCancel';
import { describeFinalize } from './finalize';
import type { EngineStoreFactory } from './harness';
import { describeOptionValidation } from './optionValidation';
import { describeParents } from './parents';
import { describeRetries } from './retries';
import { describeSequential } from './sequential';
import { describeTimeouts } from './timeouts';
import { describeTrees } from './trees';
import { describeValidation } from './validation';

export type { EngineStoreFactory, EngineTestStore } from './harness';

export function describeEngineConformance(name: string, factory: EngineStoreFactory): void {
  describe(`engine conformance: ${name}`, { timeout: 10_000 }, () => {
    describeBasics(factory);
    describeValidation(factory);
    describeOptionValidation(factory);
    describeRetries(factory);
    describeTimeouts(factory);
    describeCancel(factory);
    describeParents(factory);
    describeFinalize(factory);
    describeCascadeCancel(factory);
    describeTrees(factory);
    describeSequential(factory);
  });
}
