import { useState } from 'preact/hooks';

/**
 * A form's submit handler: stops the browser's own submit, is busy while `action` runs and keeps
 * what it threw as `error`. With `staysBusy`, a form whose success leaves the page stays busy
 * then, so it cannot be sent twice.
 */
export function useSubmit(action: () => Promise<void>, { staysBusy = false }: { staysBusy?: boolean } = {}) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
      if (!staysBusy) setBusy(false);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return { submit, busy, error, setError };
}
