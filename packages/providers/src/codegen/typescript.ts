import type { JsonSchema } from './json-schema.ts';

/**
 * Turns the normalized-event JSON Schema into a self-contained TypeScript module (no
 * imports): one interface per `$defs` shape, the envelope as a generic interface, and a
 * union discriminated on `type` (then `provider`) read from the schema's conditionals.
 */

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function doc(text: string | undefined, indent: string): string {
  if (!text) return '';
  const safe = text.replaceAll('*/', '*\\/');
  return `${indent}/** ${safe} */\n`;
}

function refName(ref: string): string {
  const prefix = '#/$defs/';
  if (!ref.startsWith(prefix)) throw new Error(`unsupported $ref ${ref}`);
  return ref.slice(prefix.length);
}

/** A TypeScript literal, single-quoted as the house style has strings. */
function literal(value: unknown): string {
  if (typeof value !== 'string') return JSON.stringify(value);
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function union(members: string[]): string {
  const unique = [...new Set(members)];
  return unique.length === 1 ? (unique[0] as string) : unique.join(' | ');
}

/** Wraps a type that is a union so it can take `[]`. */
function arrayOf(type: string): string {
  return /[|&]/.test(type) ? `(${type})[]` : `${type}[]`;
}

function objectBody(schema: JsonSchema, indent: string): string {
  const inner = `${indent}  `;
  const required = new Set(schema.required ?? []);
  let out = '{\n';
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    const name = IDENT.test(key) ? key : literal(key);
    out += doc(prop.description, inner);
    out += `${inner}${name}${required.has(key) ? '' : '?'}: ${typeOf(prop, inner)};\n`;
  }
  const extra = schema.additionalProperties;
  if (extra !== false) {
    const valueType = extra === undefined || extra === true ? 'unknown' : typeOf(extra, inner);
    // Typed fields must fit the index signature, so a typed one widens to unknown when fields are listed.
    const index = schema.properties && valueType !== 'unknown' ? 'unknown' : valueType;
    out += `${inner}[key: string]: ${index};\n`;
  }
  return `${out}${indent}}`;
}

export function typeOf(schema: JsonSchema, indent = ''): string {
  if (schema.$ref) return refName(schema.$ref);
  if (schema.const !== undefined) return literal(schema.const);
  if (schema.enum) return union(schema.enum.map(literal));
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) {
    // A list of known values next to a plain string: keep the literals for completion, accept any string.
    const open = variants.some((v) => v.enum) && variants.some((v) => v.type === 'string' && !v.enum && !v.format);
    const members = variants.filter((v) => !(open && v.type === 'string' && !v.enum)).map((v) => typeOf(v, indent));
    return union(open ? [...members, '(string & {})'] : members);
  }
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length === 0) return schema.properties ? objectBody(schema, indent) : 'unknown';
  const scalar: Record<string, string> = { string: 'string', number: 'number', integer: 'number', boolean: 'boolean', null: 'null' };
  return union(
    types.map((t) => {
      if (t === 'array') return arrayOf(schema.items ? typeOf(schema.items, indent) : 'unknown');
      if (t === 'object') return objectBody(schema, indent);
      return scalar[t] as string;
    }),
  );
}

/** `video.live_stream.simulcast_target.created` → `VideoLiveStreamSimulcastTargetCreatedEvent`. */
export function eventTypeName(type: string): string {
  return `${type
    .split(/[._/-]/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('')}Event`;
}

interface Conditional {
  provider: string;
  types: string[];
  shape: string;
}

function conditionals(schema: JsonSchema): Conditional[] {
  return (schema.allOf ?? []).map((block) => {
    const provider = block.if?.properties?.provider?.const;
    const types = block.if?.properties?.type?.enum;
    const data = block.then?.properties?.data?.$ref;
    if (typeof provider !== 'string' || !Array.isArray(types) || !data) throw new Error('unexpected conditional in the schema');
    return { provider, types: types as string[], shape: refName(data) };
  });
}

const ENVELOPE_GENERICS: Record<string, string> = { type: 'T', provider: 'P', data: 'D' };

export function schemaToTypeScript(schema: JsonSchema, banner: string): string {
  const defs = schema.$defs ?? {};
  const videoTypes = (defs.VideoEventType?.oneOf ?? []).map((v) => ({ type: v.const as string, description: v.description }));
  const out: string[] = [banner, ''];

  for (const [name, def] of Object.entries(defs)) {
    if (name === 'VideoEventType') continue;
    const body = typeOf(def);
    out.push(
      body.startsWith('{')
        ? `${doc(def.description, '')}export interface ${name} ${body}\n`
        : `${doc(def.description, '')}export type ${name} = ${body};\n`,
    );
  }

  // The envelope, generic over what the union pins down per member.
  const required = new Set(schema.required ?? []);
  let envelope = `${doc(schema.description, '')}export interface HooklineEventOf<T extends string = string, P extends string = string, D = unknown> {\n`;
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    envelope += doc(prop.description, '  ');
    envelope += `  ${key}${required.has(key) ? '' : '?'}: ${ENVELOPE_GENERICS[key] ?? typeOf(prop, '  ')};\n`;
  }
  out.push(`${envelope}}\n`);

  out.push(
    `${doc(defs.VideoEventType?.description, '')}export const EVENT_TYPES = [\n${videoTypes.map((v) => `  ${literal(v.type)},\n`).join('')}] as const;\n`,
  );
  out.push('export type EventType = (typeof EVENT_TYPES)[number];\n');

  const byType = new Map<string, { provider: string; shape: string }[]>(videoTypes.map((v) => [v.type, []]));
  for (const c of conditionals(schema)) for (const type of c.types) byType.get(type)?.push({ provider: c.provider, shape: c.shape });
  for (const emitters of byType.values()) emitters.sort((a, b) => a.provider.localeCompare(b.provider));

  const members: string[] = [];
  for (const { type, description } of videoTypes) {
    const emitters = byType.get(type) ?? [];
    if (emitters.length === 0) continue;
    const name = eventTypeName(type);
    members.push(name);
    const variants = emitters.map((e) => `HooklineEventOf<${literal(type)}, ${literal(e.provider)}, ${e.shape}>`);
    out.push(`${doc(description, '')}export type ${name} =\n${variants.map((v) => `  | ${v}`).join('\n')};\n`);
  }
  out.push(
    `/** A canonical video event, discriminated on \`type\` and then \`provider\` (which decides the shape of \`data\`). */\nexport type HooklineEvent =\n${members.map((m) => `  | ${m}`).join('\n')};\n`,
  );
  out.push(
    "/** Any normalized event: another provider's (Stripe, GitHub…), or a type not in the catalogue. Narrow with isHooklineEvent. */\nexport type GenericHooklineEvent = HooklineEventOf<string, string, unknown>;\n",
  );

  const providers: Record<string, string[]> = {};
  for (const [type, emitters] of byType) if (emitters.length > 0) providers[type] = emitters.map((e) => e.provider);
  out.push(
    `/** Which providers send each canonical video type. */\nexport const EVENT_TYPE_PROVIDERS: { readonly [T in EventType]?: readonly string[] } = {\n${Object.entries(
      providers,
    )
      .map(([type, list]) => `  ${literal(type)}: [${list.map(literal).join(', ')}],\n`)
      .join('')}};\n`,
  );
  out.push(`/** Whether an event is one of the typed video events, so that switching on \`type\` narrows \`data\`. */
export function isHooklineEvent(event: GenericHooklineEvent): event is HooklineEvent {
  const providers = (EVENT_TYPE_PROVIDERS as Record<string, readonly string[] | undefined>)[event.type];
  return providers !== undefined && providers.includes(event.provider);
}
`);
  return out.join('\n');
}
