/** The engine conformance suite, unchanged, on SQLite files. */
import { describeEngineConformance } from '@/test/engine/conformance';
import { sqliteEngineStores } from './engineStores';

describeEngineConformance('SQLite', sqliteEngineStores());
