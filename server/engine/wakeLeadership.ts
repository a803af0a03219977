/**
 * This executor's part in its store's wake group (see `DurableStorage.joinWakeGroup`): the
 * executors serving the same tasks elect one to answer other processes' `work_ready`. An
 * executor leads while it has free slots, steps down when full or stopping, and the others
 * try to take over on a vacancy notice and at every backstop tick. Claims stay exact either
 * way; the election only decides who is woken. Stores without groups wake every executor.
 */
import type { Logger } from './logger';
import type { DurableStorage, WakeGroupMembership } from './storage';

export interface WakeLeadershipDeps {
  storage: DurableStorage;
  taskIds: () => readonly string[];
  hasFreeSlots: () => boolean;
  /** Called on taking the lead after missing a `work_ready`: that work may be waiting. */
  onLead: () => void;
  logger: Logger;
}

export class WakeLeadership {
  private membership: WakeGroupMembership | null = null;
  private group: string | null = null;
  private active = false;
  private running: Promise<void> | null = null;
  private recheck = false;
  /** A `work_ready` arrived while following: the new leader claims once for it. */
  private missedWorkReady = false;

  constructor(private readonly deps: WakeLeadershipDeps) {}

  /**
   * Whether another process's `work_ready` should wake this executor's claim loop; a
   * follower remembers the one it let pass.
   */
  admitsWorkReady(): boolean {
    if (this.membership === null || this.membership.leading) return true;
    this.missedWorkReady = true;
    return false;
  }

  start(): void {
    if (this.active || !this.deps.storage.joinWakeGroup) return;
    this.membership ??= this.deps.storage.joinWakeGroup(() => this.reconsider());
    this.active = true;
    this.reconsider();
  }

  /** Leads or steps down to match the executor's state now. Cheap when nothing changes. */
  reconsider(): void {
    if (!this.membership) return;
    if (this.running) {
      this.recheck = true;
      return;
    }
    this.running = this.reconcile(this.membership)
      .catch((error: unknown) => this.deps.logger.error('Wake group election failed', error))
      .finally(() => (this.running = null));
  }

  async stop(): Promise<void> {
    this.active = false;
    this.reconsider();
    await this.running;
  }

  private async reconcile(membership: WakeGroupMembership): Promise<void> {
    do {
      this.recheck = false;
      const group = [...this.deps.taskIds()].sort().join(',');
      const wantsLead = this.active && group !== '' && this.deps.hasFreeSlots();
      if (wantsLead && !(membership.leading && this.group === group)) {
        this.group = group;
        if ((await membership.lead(group)) && this.missedWorkReady) {
          this.missedWorkReady = false;
          this.deps.onLead();
        }
      } else if (!wantsLead && membership.leading) {
        await membership.stepDown();
      }
    } while (this.recheck);
  }
}
