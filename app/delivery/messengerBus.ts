import { Bus, BusEvent, BusHandler, GroupEvent, GroupHandler } from './events';

const ACTION = 'eggchat:bus';
const GROUP_ACTION = 'eggchat:bus:group';

interface Messenger { sendToApp(action: string, data: unknown): void; on(action: string, listener: (data: any) => void): void }

/**
 * The embedded bus: egg's messenger (through the master) to every worker of this one instance. Every
 * worker receives every event and ignores users it holds no socket of: an embedded instance is one
 * machine with a handful of workers.
 */
export class MessengerBus implements Bus {
  private handler: BusHandler = () => undefined;
  private groupHandler: GroupHandler = () => undefined;

  constructor(private readonly messenger: Messenger) {
    messenger.on(ACTION, (data: { u: number; e: BusEvent }) => this.handler(data.u, data.e));
    messenger.on(GROUP_ACTION, (event: GroupEvent) => this.groupHandler(event));
  }

  async publishGroup(event: GroupEvent): Promise<void> {
    this.messenger.sendToApp(GROUP_ACTION, event);
  }

  onGroupEvent(handler: GroupHandler): void {
    this.groupHandler = handler;
  }

  async publish(userId: number, event: BusEvent): Promise<void> {
    this.messenger.sendToApp(ACTION, { u: userId, e: event });
  }

  async subscribe(): Promise<void> {
    // Every worker hears every event.
  }

  async unsubscribe(): Promise<void> {
    // Nothing to undo.
  }

  onEvent(handler: BusHandler): void {
    this.handler = handler;
  }

  onRecovered(): void {
    // IPC through the master is not lost while the instance runs.
  }

  async close(): Promise<void> {
    // Nothing to close.
  }
}
