// Kernel-wide event bus: modules emit typed events; the server forwards them to every connected client.
import type { EventData, EventName } from '../../protocol/src/events';
import { Emitter } from '../../protocol/src/lifecycle';

export interface KernelEvent {
  name: EventName;
  data: unknown;
}

export interface IEventBus {
  emit<E extends EventName>(name: E, data: EventData<E>): void;
}

export class EventBus implements IEventBus {
  private readonly _onEvent = new Emitter<KernelEvent>();
  readonly onEvent = this._onEvent.event;

  emit<E extends EventName>(name: E, data: EventData<E>): void {
    this._onEvent.fire({ name, data });
  }

  dispose(): void {
    this._onEvent.dispose();
  }
}
