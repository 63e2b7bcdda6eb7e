/**
 * What travels between workers and instances about one user (see bus.ts). Small and JSON-safe: the
 * frame data of a new inbox entry travels as the serialized string it is stored as.
 */
export type BusEvent =
  /** A new entry in the user's inbox (committed): push it, in sequence order. */
  | { k: 'msg'; seq: number; payload: string }
  /** Push whatever the user has not confirmed yet (chatGetmessageOffLine, a recovered bus). */
  | { k: 'pump' }
  /** A new session replaced the others (a login): sockets of any other session are logged out. */
  | { k: 'session'; keep: string }
  /** That session ended (logout): its sockets close. */
  | { k: 'ended'; sid: string }
  /** The account was disabled or deleted: every socket closes. */
  | { k: 'disabled' }
  /** A socket of the user opened (with single sessions, the older sockets are logged out). */
  | { k: 'opened'; conn: string; at: number }
  /** The user's group memberships changed (joined, approved, quit, removed, dissolved): reload them. */
  | { k: 'groups' }
  /** The password changed in session `keep`: the sockets of every other session close. */
  | { k: 'password'; keep: string };

/**
 * A new entry of a group's log (committed): `seq` is the group's sequence number, `v` the group's
 * member_version read under the same row lock, `skip` a user it is not pushed to (the sender of a chat
 * message; null for notices, which reach everyone). Published once per entry, whatever the member count.
 */
export interface GroupEvent { g: number; seq: number; v: number; skip: number | null; payload: string }

export type GroupHandler = (event: GroupEvent) => void;

export type BusHandler = (userId: number, event: BusEvent) => void;

/** Carries events to every worker and instance that holds a socket of the user. */
export interface Bus {
  publish(userId: number, event: BusEvent): Promise<void>;
  /** From now on this worker receives the user's events (resolves once the subscription is active). */
  subscribe(userId: number): Promise<void>;
  unsubscribe(userId: number): Promise<void>;
  onEvent(handler: BusHandler): void;
  /** To every worker of every instance (each pushes to its own sockets of the group's members). */
  publishGroup(event: GroupEvent): Promise<void>;
  onGroupEvent(handler: GroupHandler): void;
  /** Events may have been missed (the link to Redis was lost and is back): the holder pumps its sockets. */
  onRecovered(handler: () => void): void;
  close(): Promise<void>;
}
