/** Serialization of inputs and outputs, with size limits. Failures are never retryable. */
import superjson from 'superjson';
import { DurableExecutionError } from './errors';

export interface Serializer {
  serialize(value: unknown): string;
  deserialize(text: string): unknown;
}

export const superjsonSerializer: Serializer = {
  serialize: (value) => superjson.stringify(value),
  deserialize: (text) => superjson.parse(text),
};

export class SafeSerializer {
  constructor(private readonly serializer: Serializer) {}

  /** Serializes `value`, rejecting results over `maxBytes` with a clear message. */
  serialize(value: unknown, maxBytes: number, what: string): string {
    let text: string;
    try {
      text = this.serializer.serialize(value);
    } catch (error) {
      throw new DurableExecutionError(`Error serializing value: ${messageOf(error)}`, false);
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) {
      throw new DurableExecutionError(
        `Error serializing value: ${what} is ${bytes} bytes, over the limit of ${maxBytes}`,
        false,
      );
    }
    return text;
  }

  deserialize<T>(text: string): T {
    try {
      return this.serializer.deserialize(text) as T;
    } catch (error) {
      throw new DurableExecutionError(`Error deserializing value: ${messageOf(error)}`, false);
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
