/**
 * Wake groups on PostgreSQL: among the executors that serve the same tasks, one (the leader)
 * answers other processes' `work_ready`, so an enqueue costs one claim instead of one per
 * executor. Leading is a session advisory lock taken on the LISTEN connection: it is held
 * for as long as that connection lives, and a crashed process's lock ends with its session.
 * A leader with no free slot steps down and announces the vacancy; the others also try to
 * lead at every backstop tick, which covers a leader that died without a word.
 */
import type { WakeGroupMembership } from '@/server/engine/storage';
import type { PgListener } from './listener';

export class PgWakeGroups {
  /** The member of this process that leads each group. */
  private readonly holders = new Map<string, Member>();
  private readonly members = new Set<Member>();

  constructor(
    private readonly listener: PgListener,
    private readonly channel: string,
    /** Tells the other processes that `group` has no leader. */
    private readonly announceVacancy: (group: string) => Promise<void>,
  ) {
    listener.onVacancy((group) => this.vacated(group));
    listener.onSessionLost(() => {
      for (const member of this.holders.values()) member.lostLead();
      this.holders.clear();
    });
  }

  join(onVacancy: () => void): WakeGroupMembership {
    const member = new Member(this, onVacancy);
    this.members.add(member);
    return member;
  }

  /** Takes `group`'s lock for `member`; false when another member anywhere holds it. */
  async acquire(member: Member, group: string): Promise<number | null> {
    if (this.holders.has(group)) return null;
    this.holders.set(group, member);
    const session = await this.listener.tryAdvisoryLock(this.lockName(group)).catch(() => null);
    if (session === null) this.holders.delete(group);
    return session;
  }

  async release(member: Member, group: string, session: number): Promise<void> {
    if (this.holders.get(group) === member) this.holders.delete(group);
    await this.listener.advisoryUnlock(this.lockName(group), session).catch(() => undefined);
    this.vacated(group, member);
    await this.announceVacancy(group).catch(() => undefined);
  }

  private vacated(group: string, except?: Member): void {
    for (const member of this.members) {
      if (member !== except && member.group === group) member.onVacancy();
    }
  }

  private lockName(group: string): string {
    return `${this.channel}:wake:${group}`;
  }
}

class Member implements WakeGroupMembership {
  group: string | null = null;
  private session: number | null = null;

  constructor(
    private readonly groups: PgWakeGroups,
    readonly onVacancy: () => void,
  ) {}

  get leading(): boolean {
    return this.session !== null;
  }

  async lead(group: string): Promise<boolean> {
    if (this.session !== null && this.group === group) return true;
    await this.stepDown();
    this.group = group;
    this.session = await this.groups.acquire(this, group);
    return this.session !== null;
  }

  async stepDown(): Promise<void> {
    const { group, session } = this;
    if (group === null || session === null) return;
    this.session = null;
    await this.groups.release(this, group, session);
  }

  /** The LISTEN connection dropped, and every lock of its session with it. */
  lostLead(): void {
    this.session = null;
  }
}
