/**
 * Search by input and output (a JSON path and value) and by creation time, on the in-memory
 * reference, SQLite and PostgreSQL: the same answers from the list and the count.
 */
import superjson from 'superjson';
import { afterAll, describe, expect, it } from 'vitest';
import { createInMemoryStorage, parseValuePath, DurableOptionsError } from '@/server/engine';
import type { DurableStorage, DurableStorageQueries, ExecutionFilter } from '@/server/engine';
import { newRow, postgresFixture, sqliteFixture, T0 } from './fixtures';

type Store = DurableStorage & DurableStorageQueries;

const stores: [string, () => Promise<Store>][] = [
  ['in-memory', () => Promise.resolve(createInMemoryStorage())],
  [
    'SQLite',
    (() => {
      const f = sqliteFixture();
      afterAll(() => f.dispose());
      return () => f.open();
    })(),
  ],
  [
    'PostgreSQL',
    (() => {
      const f = postgresFixture();
      afterAll(() => f.dispose());
      return () => f.open();
    })(),
  ],
];

const id = (n: number) => `te_search${String(n).padStart(15, '0')}`;

async function seed(store: Store): Promise<void> {
  const inputs = [
    { customerId: 'c_42', amount: 10, tags: ['a', 'b'], paid: true },
    { customerId: 'c_42', amount: 20, tags: ['b'], paid: false, when: new Date(T0) },
    { customerId: 'c_7', amount: 10, nested: { deep: { id: 'x' } }, note: null },
    { customerId: '42', amount: '10' },
  ];
  await store.insertExecutions(
    inputs.map((input, n) =>
      newRow(id(n), 'search', { runInput: superjson.stringify(input), createdAt: T0 + n * 1000 }),
    ),
  );
  // The first two complete, with outputs.
  const claimed = await store.claimReadyExecutions({
    taskIds: ['search'],
    limit: 2,
    now: T0 + 10_000,
    expireMs: 60_000,
  });
  expect(claimed).toHaveLength(2);
  for (const row of claimed) {
    const output = {
      total: row.executionId === id(0) ? 10 : 20,
      lines: [{ sku: `s_${row.executionId.slice(-1)}` }],
    };
    await store.write({
      inserts: [],
      claimedInserts: [],
      results: [
        {
          executionId: row.executionId,
          leaseToken: row.leaseToken,
          outcome: { kind: 'completed', output: superjson.stringify(output), runOutput: null },
        },
      ],
      now: T0 + 11_000,
      expireMs: 60_000,
    });
  }
}

const match = (text: string, value: string | number | boolean | null) => ({
  valueMatch: { ...parseValuePath(text), value },
});

describe.each(stores)('search on %s', (_name, open) => {
  it('filters by a path and value of the input or output, and by creation time', async () => {
    const store = await open();
    await seed(store);
    const ids = async (filter: ExecutionFilter) => {
      const rows = await store.listExecutions({ ...filter, limit: 100 });
      expect(await store.countExecutions(filter)).toBe(rows.length);
      return rows.map((row) => row.executionId).sort();
    };
    expect(await ids(match('input.customerId', 'c_42'))).toEqual([id(0), id(1)]);
    // Compared as JSON: the string "42" is not the number 42, nor "10" the number 10.
    expect(await ids(match('input.customerId', '42'))).toEqual([id(3)]);
    expect(await ids(match('input.customerId', 42))).toEqual([]);
    expect(await ids(match('input.amount', 10))).toEqual([id(0), id(2)]);
    expect(await ids(match('input.amount', '10'))).toEqual([id(3)]);
    expect(await ids(match('input.paid', true))).toEqual([id(0)]);
    expect(await ids(match('input.note', null))).toEqual([id(2)]);
    expect(await ids(match('input.tags[1]', 'b'))).toEqual([id(0)]);
    expect(await ids(match('input.tags[0]', 'b'))).toEqual([id(1)]);
    expect(await ids(match('input.nested.deep.id', 'x'))).toEqual([id(2)]);
    expect(await ids(match('input.missing', 'x'))).toEqual([]);
    expect(await ids(match('output.total', 20))).toEqual([id(1)]);
    expect(await ids(match('output.lines[0].sku', 's_0'))).toEqual([id(0)]);
    expect(await ids({ ...match('input.customerId', 'c_42'), statuses: ['completed'] })).toEqual([
      id(0),
      id(1),
    ]);
    expect(await ids({ createdFrom: T0 + 1000, createdTo: T0 + 3000 })).toEqual([id(1), id(2)]);
    expect(await ids({ ...match('input.amount', 10), createdFrom: T0 + 1 })).toEqual([id(2)]);
    // Keyset pages over a search.
    const first = await store.listExecutions({ ...match('input.amount', 10), limit: 1 });
    expect(first.map((row) => row.executionId)).toEqual([id(2)]);
    const next = await store.listExecutions({
      ...match('input.amount', 10),
      cursor: { createdAt: first[0]!.createdAt, executionId: first[0]!.executionId },
      limit: 1,
    });
    expect(next.map((row) => row.executionId)).toEqual([id(0)]);
  });
});

describe('search paths', () => {
  it('parses identifiers and array indexes', () => {
    expect(parseValuePath('input.customerId')).toEqual({ field: 'input', path: ['customerId'] });
    expect(parseValuePath(' output.items[0].sku ')).toEqual({
      field: 'output',
      path: ['items', 0, 'sku'],
    });
  });

  it.each([
    ['customerId', /must start with "input" or "output"/],
    ['input', /names no property/],
    ['input.', /is not an identifier/],
    ["input.a'b", /is not an identifier/],
    ['input.1a', /is not an identifier/],
    ['input.a[x]', /is not an array index/],
    ['input.a[-1]', /is not an array index/],
    ['input.a b', /is not an identifier/],
    ['inputs.a', /must start with/],
  ])('rejects %s', (text, message) => {
    expect(() => parseValuePath(text)).toThrow(DurableOptionsError);
    expect(() => parseValuePath(text)).toThrow(message);
  });
});
