/** Serialization of inputs and outputs, with size limits. Failures are never retryable. */
import superjson from 'superjson';
import { DurableSerializationError, DurableValueTooLargeError } from './errors';

/**
 * Turns values into stored text and back. Methods typed `<T>(value: T) => string` and
 * `<T>(text: string) => T` (as `WrappedSerializer` has) fit too.
 */
export interface Serializer {
  serialize(value: unknown): string;
  deserialize(text: string): unknown;
}

/** The default serializer: superjson keeps Dates, Maps, Sets, BigInts and undefined. */
export function createSuperjsonSerializer(): Serializer {
  return {
    serialize: (value) => superjson.stringify(value),
    deserialize: (text) => superjson.parse(text),
  };
}

export const superjsonSerializer: Serializer = createSuperjsonSerializer();

/**
 * A serializer whose failures are non-retryable `DurableExecutionError`s
 * ("Error serializing value: ..." / "Error deserializing value: ..."), whatever it throws.
 */
export class WrappedSerializer implements Serializer {
  constructor(private readonly serializer: Serializer) {}

  serialize<T>(value: T): string {
    try {
      return this.serializer.serialize(value);
    } catch (error) {
      throw new DurableSerializationError(`Error serializing value: ${messageOf(error)}`);
    }
  }

  deserialize<T = unknown>(text: string): T {
    try {
      return this.serializer.deserialize(text) as T;
    } catch (error) {
      throw new DurableSerializationError(`Error deserializing value: ${messageOf(error)}`);
    }
  }
}

/** The executor's serializer: wrapped failures, and a size limit on what it stores. */
export class SafeSerializer {
  private readonly wrapped: WrappedSerializer;

  constructor(serializer: Serializer) {
    // A serializer wrapped already by the user is not wrapped twice (messages would repeat).
    this.wrapped =
      serializer instanceof WrappedSerializer ? serializer : new WrappedSerializer(serializer);
  }

  /** Serializes `value`, rejecting results over `maxBytes` with a clear message. */
  serialize(value: unknown, maxBytes: number, what: string): string {
    const text = this.wrapped.serialize(value);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) {
      throw new DurableValueTooLargeError(
        `Error serializing value: ${what} is ${bytes} bytes, over the limit of ${maxBytes}`,
      );
    }
    return text;
  }

  deserialize<T>(text: string): T {
    return this.wrapped.deserialize<T>(text);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
