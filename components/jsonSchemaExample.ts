/** A starting value for a task's input, built from its JSON Schema (as `tasks.list` gives it). */

type Schema = Record<string, unknown>;

export function exampleFromSchema(schema: unknown): unknown {
  if (!isSchema(schema)) return { hello: 'world' };
  return example(schema, 0);
}

function example(schema: Schema, depth: number): unknown {
  if (depth > 6) return null;
  if ('default' in schema) return schema.default;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants)) {
    const first: unknown = variants.find((variant) => isSchema(variant) && variant.type !== 'null');
    return isSchema(first) ? example(first, depth + 1) : null;
  }
  const type = Array.isArray(schema.type) ? (schema.type[0] as unknown) : schema.type;
  switch (type) {
    case 'object': {
      const properties = isSchema(schema.properties) ? schema.properties : {};
      const result: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(properties)) {
        if (isSchema(value)) result[key] = example(value, depth + 1);
      }
      return result;
    }
    case 'array':
      return [];
    case 'string': {
      const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
      return minLength > 0 ? 'text'.padEnd(minLength, 'x') : '';
    }
    case 'integer':
    case 'number': {
      if (typeof schema.minimum === 'number') return Math.max(schema.minimum, 0);
      if (typeof schema.exclusiveMinimum === 'number') return schema.exclusiveMinimum + 1;
      return 0;
    }
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      // No constraint (any JSON value): a small object shows the shape of things.
      return depth === 0 ? { hello: 'world' } : null;
  }
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The properties of an object schema with their type, whether required, and description. */
export function describeProperties(
  schema: unknown,
): { name: string; type: string; required: boolean; description: string }[] {
  if (!isSchema(schema) || !isSchema(schema.properties)) return [];
  const required = new Set(Array.isArray(schema.required) ? (schema.required as unknown[]) : []);
  return Object.entries(schema.properties).map(([name, value]) => {
    const property = isSchema(value) ? value : {};
    const bounds = [
      typeof property.minimum === 'number' ? `≥ ${property.minimum}` : null,
      typeof property.maximum === 'number' ? `≤ ${property.maximum}` : null,
      typeof property.minLength === 'number' ? `length ≥ ${property.minLength}` : null,
      typeof property.maxLength === 'number' ? `length ≤ ${property.maxLength}` : null,
    ].filter(Boolean);
    const type = typeof property.type === 'string' ? property.type : 'any';
    return {
      name,
      type: bounds.length > 0 ? `${type} (${bounds.join(', ')})` : type,
      required: required.has(name),
      description: typeof property.description === 'string' ? property.description : '',
    };
  });
}

/** Where a JSON.parse error points, as line and column, when the engine says. */
export function jsonErrorMessage(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /position (\d+)/.exec(message)?.[1];
  if (position === undefined) return message;
  const offset = Number(position);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${message.replace(/\s*\(line \d+ column \d+\)/, '')} (line ${line}, column ${column})`;
}
