/** The engine conformance suite and the stress test on the in-memory store. */
import { createInMemoryStorage } from '@/server/engine';
import {
  describeEngineConformance,
  describeEngineStress,
  type EngineStoreFactory,
} from './conformance';

const inMemoryStore: EngineStoreFactory = () =>
  Promise.resolve({ storage: createInMemoryStorage(), close: () => Promise.resolve() });

describeEngineConformance('in-memory', inMemoryStore);
describeEngineStress('in-memory', inMemoryStore);
