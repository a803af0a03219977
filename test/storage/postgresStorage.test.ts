import { describeStorage } from './storageSuite';
import { postgresFixture } from './fixtures';

describeStorage('PostgreSQL', postgresFixture);
