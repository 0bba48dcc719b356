import type { HooklineEvent } from './events.generated.js';

export { EVENT_TYPES, type GenericHooklineEvent, type HooklineEvent } from './events.generated.js';

/**
 * The literal `type`s of the known events. A member typed `type: string` (should the generated
 * union ever include a catch-all) contributes nothing, so the per-type handler map keeps one
 * typed key per event instead of collapsing into an index signature.
 */
export type HooklineEventType = HooklineEvent extends infer E
  ? E extends { type: infer T extends string }
    ? string extends T
      ? never
      : T
    : never
  : never;

/** The event narrowed to one type: `EventOfType<'video.asset.ready'>`. */
export type EventOfType<T extends HooklineEventType> = Extract<HooklineEvent, { type: T }>;
