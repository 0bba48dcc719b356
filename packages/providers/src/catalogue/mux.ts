import type { EventTypeInfo } from '../types.ts';
import { FASTPIX_ONLY_TYPES, VIDEO_EVENT_TYPES } from './video.ts';

/** Mux's event names are the canonical vocabulary, so each maps to itself. */
export const MUX_EVENTS: readonly EventTypeInfo[] = VIDEO_EVENT_TYPES.filter((e) => !FASTPIX_ONLY_TYPES.has(e.type)).map((e) => ({
  type: e.type,
  canonical: e.type,
  description: e.description,
  objectType: e.objectType,
}));
