// Undo from a System Log event: the restore preview for what the event changed (a dry run of the undo), then the
// undo itself on confirmation.
import { useRef, useState } from 'preact/hooks';
import { enc, get, post, type RestoreReport, type UndoAccepted } from '../api/client';
import { waitFor } from '../jobs';
import { navigate } from '../router';
import { Dialog, ErrorNote } from '../ui';
import { PlanView } from './RestoreDialog';

export function UndoButton(props: { org: string; event: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Undo this change
      </button>
      <Dialog title="Undo this change" open={open} onClose={() => setOpen(false)} wide>
        <UndoPreview org={props.org} event={props.event} onClose={() => setOpen(false)} />
      </Dialog>
    </>
  );
}

function UndoPreview(props: { org: string; event: string; onClose: () => void }) {
  const [report, setReport] = useState<RestoreReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const started = useRef(false);
  const abort = useRef(new AbortController());
  if (!started.current) {
    started.current = true;
    (async () => {
      try {
        const job = await post<UndoAccepted>(`/v1/orgs/${enc(props.org)}/undo`, { event: props.event, dry_run: true });
        await waitFor(job.job_id, abort.current.signal);
        setReport(await get<RestoreReport>(`/v1/restores/${enc(job.job_id)}?objects=true`));
      } catch (e) {
        setError(e);
      }
    })();
  }
  const apply = async () => {
    try {
      const plan = report?.plan as unknown as { confirmation_token?: string | null };
      const job = await post<UndoAccepted>(`/v1/orgs/${enc(props.org)}/undo`, {
        event: props.event,
        ...(plan?.confirmation_token ? { confirmation_token: plan.confirmation_token } : {}),
      });
      props.onClose();
      navigate(`/jobs/${enc(job.job_id)}`);
    } catch (e) {
      setError(e);
    }
  };
  if (error) return <ErrorNote error={error} />;
  if (!report) return <p role="status">Planning the undo against the live org… nothing is written.</p>;
  if (!report.plan) return <ErrorNote error={new Error(report.error ?? 'The undo could not be planned.')} />;
  return <PlanView report={report} target={props.org} onBack={props.onClose} onApply={apply} />;
}
