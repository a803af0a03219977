/** The engine conformance suite, unchanged, on PostgreSQL. */
import { describeEngineConformance } from '@/test/engine/conformance';
import { postgresEngineStores } from './engineStores';

describeEngineConformance('PostgreSQL', postgresEngineStores());
