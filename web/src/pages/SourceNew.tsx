import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorBox, Field, PageHeader } from '../components.tsx';
import { sources } from '../data.ts';
import { HMAC_OPTIONS, PROVIDERS, provider as providerInfo } from '../providers.ts';
import { href, navigate } from '../router.ts';
import { useSubmit } from '../submit.ts';

const TAGLINES: Record<string, string> = {
  mux: 'Video assets, uploads, live streams',
  fastpix: 'Media, uploads, live streams',
  stripe: 'Payments, customers, invoices',
  github: 'Pushes, pull requests, releases',
  shopify: 'Orders, products, customers',
  'standard-webhooks': 'Svix and any Standard Webhooks sender',
  hmac: 'Any sender that signs with an HMAC',
};

export function SourceNewPage({ initialProvider }: { initialProvider: string | null }) {
  const [providerId, setProviderId] = useState(initialProvider && providerInfo(initialProvider) ? initialProvider : 'mux');
  const info = providerInfo(providerId);
  const [name, setName] = useState('');
  const [secret, setSecret] = useState('');
  const [hmac, setHmac] = useState({ header: '', algorithm: 'sha256', encoding: 'hex', prefix: '', secret_encoding: 'utf8' });
  // On success the page moves on to the new source, still busy so it is not created twice.
  const { submit, busy, error } = useSubmit(
    async () => {
      const trimmed = secret.trim();
      const settings =
        providerId === 'hmac'
          ? Object.fromEntries(Object.entries(hmac).filter(([, v]) => v !== '' && v !== undefined))
          : ({} as Record<string, string>);
      // No secret yet: the source is created awaiting it (requests are rejected until the
      // source page sets it). A generic HMAC source's options travel with its secret.
      const source = await api.post('/v1/sources', {
        body: {
          name: name.trim() || `${info?.displayName ?? providerId}`,
          provider: providerId,
          ...(trimmed ? { verification: { secret: trimmed, ...settings } } : {}),
        },
      });
      await sources.load();
      navigate(href(`/sources/${source.id}`, { setup: '1' }));
    },
    { staysBusy: true },
  );

  return (
    <>
      <PageHeader title="New source" subtitle="One source per provider account: it gets its own ingest URL." back="#/sources" />
      <form class="form form-wide" onSubmit={submit}>
        <section class="card">
          <h2 class="card-title" id="provider-title">
            Provider
          </h2>
          <div class="provider-grid" role="radiogroup" aria-labelledby="provider-title">
            {PROVIDERS.map((p) => (
              <label key={p.id} class={`provider-option ${p.id === providerId ? 'is-selected' : ''}`}>
                <input
                  class="provider-radio"
                  type="radio"
                  name="provider"
                  value={p.id}
                  checked={p.id === providerId}
                  onChange={() => setProviderId(p.id)}
                />
                <span class={`provider-dot provider-${p.id}`} aria-hidden="true" />
                <span class="provider-text">
                  <span class="provider-name">{p.displayName}</span>
                  <span class="provider-tagline">{TAGLINES[p.id] ?? ''}</span>
                </span>
              </label>
            ))}
          </div>
        </section>

        <section class="card">
          <h2 class="card-title">Details</h2>
          <Field label="Name" id="source-name" hint="Shown in lists and the live log, e.g. the provider account or environment.">
            <input
              id="source-name"
              value={name}
              maxLength={200}
              placeholder={`${info?.displayName ?? ''} production`}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </Field>
          <Field
            label={`${info?.displayName ?? 'Provider'} signing secret`}
            id="source-secret"
            hint={
              <>
                <strong>Where to find it:</strong> {info?.secretHelp ?? "In the provider's webhook settings."}
                <br />
                {providerId === 'hmac' ? (
                  'Required here: the signature options below are saved with it.'
                ) : (
                  <>
                    No secret yet? Leave it empty: the source is created <em>awaiting its secret</em>. Add its URL in{' '}
                    {info?.displayName ?? 'the provider'}, then paste the secret on the source's page. Until then requests are rejected, and
                    the live log says so.
                  </>
                )}
              </>
            }
          >
            <input
              id="source-secret"
              class="mono"
              value={secret}
              required={providerId === 'hmac'}
              maxLength={1000}
              autoComplete="off"
              spellcheck={false}
              onInput={(e) => setSecret(e.currentTarget.value)}
            />
          </Field>
          {providerId === 'hmac' && (
            <div class="grid-2">
              <Field label="Signature header" id="hmac-header" hint="The header carrying the signature, e.g. x-signature.">
                <input
                  id="hmac-header"
                  required
                  class="mono"
                  value={hmac.header}
                  onInput={(e) => setHmac({ ...hmac, header: e.currentTarget.value })}
                />
              </Field>
              <Field label="Prefix" id="hmac-prefix" hint="Text before the digest, e.g. sha256= (optional).">
                <input
                  id="hmac-prefix"
                  class="mono"
                  value={hmac.prefix}
                  onInput={(e) => setHmac({ ...hmac, prefix: e.currentTarget.value })}
                />
              </Field>
              <Field label="Algorithm" id="hmac-algorithm">
                <select id="hmac-algorithm" value={hmac.algorithm} onChange={(e) => setHmac({ ...hmac, algorithm: e.currentTarget.value })}>
                  {HMAC_OPTIONS.algorithms.map((a) => (
                    <option key={a}>{a}</option>
                  ))}
                </select>
              </Field>
              <Field label="Digest encoding" id="hmac-encoding">
                <select id="hmac-encoding" value={hmac.encoding} onChange={(e) => setHmac({ ...hmac, encoding: e.currentTarget.value })}>
                  {HMAC_OPTIONS.encodings.map((a) => (
                    <option key={a}>{a}</option>
                  ))}
                </select>
              </Field>
              <Field label="Secret encoding" id="hmac-secret-encoding" hint="How the secret text becomes key bytes.">
                <select
                  id="hmac-secret-encoding"
                  value={hmac.secret_encoding}
                  onChange={(e) => setHmac({ ...hmac, secret_encoding: e.currentTarget.value })}
                >
                  {HMAC_OPTIONS.secretEncodings.map((a) => (
                    <option key={a}>{a}</option>
                  ))}
                </select>
              </Field>
            </div>
          )}
        </section>
        <ErrorBox error={error} />
        <div class="form-actions">
          <a class="btn" href="#/sources">
            Cancel
          </a>
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? 'Creating…' : `Create ${info?.displayName ?? ''} source`}
          </button>
        </div>
      </form>
    </>
  );
}
