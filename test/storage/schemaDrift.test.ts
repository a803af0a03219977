/**
 * The two Prisma schemas must describe the same model (but for the SQLite prefix and the
 * PostgreSQL schema), and each hand-written migration must create exactly that model
 * (columns, types, nullability, indexes): a test fails on drift.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMigrations } from '@/server/storage/migrate';

const root = process.cwd();
const read = (path: string) => readFileSync(join(root, path), 'utf8');

function modelBlock(schema: string): string {
  const match = /model TaskExecution \{[\s\S]*?\n\}/.exec(schema);
  if (!match) throw new Error('model TaskExecution not found');
  return match[0];
}

interface Column {
  name: string;
  type: string;
  nullable: boolean;
}

const SQL_TYPES: Record<string, string> = {
  String: 'TEXT',
  Int: 'INTEGER',
  BigInt: 'BIGINT',
  Boolean: 'BOOLEAN',
};

function schemaColumns(model: string): Column[] {
  return model
    .split('\n')
    .map((line) => /^\s+(\w+)\s+(\w+)(\?)?\s*(.*)$/.exec(line))
    .filter(
      (match): match is RegExpExecArray => match !== null && !match[0].trim().startsWith('@@'),
    )
    .map(([, field, type, optional, attributes]) => ({
      name: /@map\("(\w+)"\)/.exec(attributes ?? '')?.[1] ?? field!,
      type: SQL_TYPES[type!] ?? `unknown ${type}`,
      nullable: optional === '?',
    }));
}

function schemaIndexes(model: string): string[] {
  const columnOf = new Map(
    model
      .split('\n')
      .map((line) => /^\s+(\w+)\s+\w+\??.*@map\("(\w+)"\)/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map(([, field, column]) => [field!, column!]),
  );
  return [...model.matchAll(/@@index\(\[([^\]]+)\], map: "(\w+)"(?:, where: raw\("([^"]+)"\))?\)/g)]
    .map(([, fields, name, where]) => {
      const columns = fields!.split(',').map((field) => {
        // `priority(sort: Desc)` is a descending column.
        const [, plain, desc] = /^\s*(\w+)(\(sort: Desc\))?\s*$/.exec(field) ?? [];
        return `${columnOf.get(plain!) ?? plain}${desc ? 'DESC' : ''}`;
      });
      return `${name}(${columns.join(',')})${where ? ` WHERE ${where}` : ''}`;
    })
    .sort();
}

/** The model with the names Durably's namespace gives it removed. */
function unqualified(model: string): string {
  return model
    .replaceAll('durably_task_executions', 'task_executions')
    .replace(/\n\s+@@schema\("durably"\)/, '');
}

/** Columns a later migration adds. */
function addedColumns(sql: string): Column[] {
  return [...sql.matchAll(/ALTER TABLE "\w+" ADD COLUMN "(\w+)" (\w+)( NOT NULL)?/g)].map(
    ([, name, type, notNull]) => ({ name: name!, type: type!, nullable: !notNull }),
  );
}

function migrationColumns(sql: string): Column[] {
  const table =
    /CREATE TABLE "(?:durably_)?task_executions" \(([\s\S]*?)\n\);/.exec(sql)?.[1] ?? '';
  return table
    .split('\n')
    .map((line) => /^\s+"(\w+)" (\w+)( NOT NULL)?/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map(([, name, type, notNull]) => ({ name: name!, type: type!, nullable: !notNull }))
    .concat(addedColumns(sql));
}

/** The task_executions indexes the migrations leave, in order: later drops remove earlier ones. */
function migrationIndexes(sql: string): string[] {
  const indexes = new Map<string, string>();
  const statements =
    /CREATE INDEX "(\w+)" ON "(?:durably_)?task_executions"\((.*?)\)(?: WHERE (.*?))?;|DROP INDEX "(\w+)";/g;
  for (const [, name, columns, where, dropped] of sql.matchAll(statements)) {
    if (dropped) {
      indexes.delete(dropped);
      continue;
    }
    const definition = columns!.replaceAll('"', '').replaceAll(' ', '');
    indexes.set(name!, `(${definition})${where ? ` WHERE ${where.replaceAll('"', '')}` : ''}`);
  }
  return [...indexes].map(([name, definition]) => `${name}${definition}`).sort();
}

describe('schema drift', () => {
  const models = {
    sqlite: modelBlock(read('prisma/durably/schema.sqlite.prisma')),
    postgres: modelBlock(read('prisma/durably/schema.postgres.prisma')),
  };

  it('keeps the SQLite and PostgreSQL models identical but for their names', () => {
    expect(models.sqlite).toContain('@@map("durably_task_executions")');
    expect(models.postgres).toContain('@@schema("durably")');
    expect(unqualified(models.postgres)).toBe(unqualified(models.sqlite));
  });

  it.each(['sqlite', 'postgres'] as const)(
    'creates exactly the model in the %s migrations',
    (provider) => {
      const sql = readMigrations(join(root, 'prisma/durably/migrations', provider))
        .map((migration) => migration.sql)
        .join('\n');
      const model = models[provider];
      const columns = schemaColumns(model);
      expect(columns.length).toBeGreaterThan(30);
      expect(migrationColumns(sql)).toEqual(columns);
      expect(migrationIndexes(sql)).toEqual(schemaIndexes(model));
    },
  );
});
