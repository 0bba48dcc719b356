import { compileFilter, InvalidFilterError, InvalidTransformError, type Matcher, type TransformRunner } from '@hookline/rules';
import { Type } from '@sinclair/typebox';
import { ApiError } from './errors.ts';

/** The `filter` field: checked by @hookline/rules against its JSON Schema, not by the route's schema, so errors name the path. */
export const FilterField = Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
  description:
    'A filter document over the normalized envelope and `headers` (JSON Schema: packages/rules/schema/filter.schema.json); null: every event of its types',
});

export const TransformField = Type.Union([Type.String({ maxLength: 65_536 }), Type.Null()], {
  description: 'JavaScript source of function transform(event, context) returning the body, {body, headers}, or null to skip; null: none',
});

/** A filter document compiled, or 400 `invalid_filter` naming the bad path. */
export function checkFilter(filter: unknown): Matcher {
  try {
    return compileFilter(filter);
  } catch (err) {
    if (err instanceof InvalidFilterError) throw new ApiError(400, 'invalid_filter', err.message);
    throw err;
  }
}

/** A transform that compiles and defines `transform`, or 400 `invalid_transform` saying why. */
export async function checkTransform(transforms: TransformRunner, source: string): Promise<void> {
  try {
    await transforms.check(source);
  } catch (err) {
    if (err instanceof InvalidTransformError) throw new ApiError(400, 'invalid_transform', err.message);
    throw err;
  }
}

/** The destination columns for the rules a create or PATCH gives (undefined: unchanged). */
export async function ruleColumns(
  transforms: TransformRunner,
  body: { filter?: Record<string, unknown> | null | undefined; transform?: string | null | undefined },
): Promise<{ filter?: string | null; transform?: string | null }> {
  const columns: { filter?: string | null; transform?: string | null } = {};
  if (body.filter !== undefined) {
    if (body.filter !== null) checkFilter(body.filter);
    columns.filter = body.filter === null ? null : JSON.stringify(body.filter);
  }
  if (body.transform !== undefined) {
    const source = body.transform?.trim() ? body.transform : null;
    if (source !== null) await checkTransform(transforms, source);
    columns.transform = source;
  }
  return columns;
}
