// Small pieces every page uses: links, loading and error states, times, badges.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure } from './api/client';
import { follow } from './router';

export function Link(props: { href: string; children: ComponentChildren; class?: string; label?: string }) {
  return (
    <a href={props.href} onClick={follow} class={props.class} aria-label={props.label}>
      {props.children}
    </a>
  );
}

export function describe(error: unknown): string {
  if (error instanceof ApiFailure) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function ErrorNote(props: { error: unknown }) {
  if (!props.error) return null;
  return (
    <p class="error" role="alert">
      {describe(props.error)}
    </p>
  );
}

/** Loads `load()` when `deps` change; `reload` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const generation = useRef(0);
  const run = () => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === generation.current && setState({ data, loading: false }),
      // A failed reload keeps what was shown, with the error beside it.
      (error) => mine === generation.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  };
  useEffect(run, deps);
  return { ...state, reload: run };
}

/** Runs `tick` every `ms` while `active`. */
export function usePoll(active: boolean, ms: number, tick: () => void) {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => latest.current(), ms);
    return () => clearInterval(timer);
  }, [active, ms]);
}

export function Loading(props: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {props.what}…
    </p>
  );
}

export function When(props: { at?: string | null }) {
  if (!props.at) return <span class="muted">never</span>;
  const date = new Date(props.at);
  if (Number.isNaN(date.getTime())) return <span>{props.at}</span>;
  return (
    <time dateTime={props.at} title={props.at}>
      {date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}
    </time>
  );
}

const STATE_WORDS: Record<string, string> = {
  running: 'running',
  interrupted: 'interrupted',
  completed: 'completed',
  completed_with_errors: 'completed with errors',
  failed: 'failed',
  Running: 'running',
  Completed: 'completed',
  CompletedWithErrors: 'completed with errors',
  Failed: 'failed',
  complete: 'complete',
  partial: 'partial',
};

export function Badge(props: { state: string }) {
  const kind = props.state.toLowerCase().replace(/[^a-z]/g, '');
  return <span class={`badge badge-${kind}`}>{STATE_WORDS[props.state] ?? props.state.replace(/_/g, ' ')}</span>;
}

export function Page(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${props.title} · oktavault`;
  }, [props.title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          {props.title}
        </h1>
        {props.actions && <div class="actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

/** A modal dialog on the platform's <dialog>: focus moves into it, Escape closes it, the page behind is inert. */
export function Dialog(props: { title: string; open: boolean; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} class={props.wide ? 'wide' : ''} aria-labelledby="dialog-title" onClose={props.onClose}>
      <header class="dialog-head">
        <h2 id="dialog-title">{props.title}</h2>
        <button type="button" class="quiet" onClick={props.onClose} aria-label="Close">
          ×
        </button>
      </header>
      {props.open && props.children}
    </dialog>
  );
}

export function plural(n: number, one: string, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}
