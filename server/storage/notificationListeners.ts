/**
 * The subscribers to a store's notifications (PostgreSQL's LISTEN connection, SQLite's change
 * feed). A subscriber that throws is logged and never keeps the others from hearing.
 */
import type { Logger } from '@/server/engine/logger';
import type { StorageNotification } from '@/server/engine/storage';

export type NotificationListener = (notification: StorageNotification) => void;

export class NotificationListeners {
  private readonly listeners = new Set<NotificationListener>();

  constructor(private readonly logger: Logger) {}

  get size(): number {
    return this.listeners.size;
  }

  /** Adds `listener`; returns its removal. */
  add(listener: NotificationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    this.listeners.clear();
  }

  emit(notification: StorageNotification): void {
    for (const listener of this.listeners) {
      try {
        listener(notification);
      } catch (error) {
        this.logger.error('A storage notification listener threw', error);
      }
    }
  }
}
