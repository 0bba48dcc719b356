/** The subset of JSON Schema (draft 2020-12) that the normalized-event schema uses, and that typescript.ts turns into types. */
export interface JsonSchema {
  $schema?: string;
  $id?: string;
  $comment?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  title?: string;
  description?: string;
  type?: JsonType | JsonType[];
  format?: string;
  pattern?: string;
  minLength?: number;
  const?: string | number | boolean | null;
  enum?: (string | number | boolean | null)[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  if?: JsonSchema;
  then?: JsonSchema;
  examples?: unknown[];
}

export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

// Small builders, so the data shapes read like the providers' field lists.

export const str = (description?: string): JsonSchema => ({ type: 'string', ...(description ? { description } : {}) });
export const num = (description?: string): JsonSchema => ({ type: 'number', ...(description ? { description } : {}) });
export const int = (description?: string): JsonSchema => ({ type: 'integer', ...(description ? { description } : {}) });
export const bool = (description?: string): JsonSchema => ({ type: 'boolean', ...(description ? { description } : {}) });
export const ref = (name: string): JsonSchema => ({ $ref: `#/$defs/${name}` });
export const arrayOf = (items: JsonSchema, description?: string): JsonSchema => ({
  type: 'array',
  items,
  ...(description ? { description } : {}),
});

/**
 * A string whose known values are listed but which accepts any other: providers add values
 * (statuses, tiers) without notice, and an event must never fail validation for that.
 */
export const known = (values: string[], description?: string): JsonSchema => ({
  anyOf: [{ enum: values }, { type: 'string' }],
  ...(description ? { description } : {}),
});

/** An object whose listed fields are typed and whose other fields are allowed (data is never rewritten). */
export const obj = (properties: Record<string, JsonSchema>, description?: string, required?: string[]): JsonSchema => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  ...(required ? { required } : {}),
});

/** Either of two JSON types (Mux's `created_at` is unix seconds in webhooks, ISO text in its API). */
export const either = (a: JsonSchema, b: JsonSchema, description?: string): JsonSchema => ({
  anyOf: [a, b],
  ...(description ? { description } : {}),
});
