import { describeStorage } from './storageSuite';
import { sqliteFixture } from './fixtures';

describeStorage('SQLite', sqliteFixture);
