/**
 * One run in the panel's run list: status, pipeline and time, a Cancel button while it can still
 * change, its cost as far as it is known, and each step with its executed notebook and error.
 */
import { IRun } from './api';
import { button } from './runform';
import { ACTIVE, costLine, note, seconds, when } from './text';

export interface IRunHandlers {
  /** A cancel of this run is on its way (the button says so and is disabled). */
  cancelling: boolean;
  cancel(): void;
  openOutput(step: string): void;
}

export function runItem(run: IRun, handlers: IRunHandlers): HTMLElement {
  const item = document.createElement('div');
  item.className = 'jp-WorkbenchRun';
  item.dataset.status = run.status;
  item.dataset.runId = run.run_id;
  const title = document.createElement('div');
  title.className = 'jp-WorkbenchRun-title';
  const status = document.createElement('span');
  status.className = 'jp-WorkbenchRun-status';
  status.textContent = run.status;
  const text = document.createElement('span');
  text.className = 'jp-WorkbenchRun-name';
  text.textContent = `${run.pipeline} · ${when(run.started ?? run.created)}`;
  title.append(status, text);
  title.title = `Run ${run.run_id}`;
  if (ACTIVE.has(run.status)) {
    title.append(cancelButton(run, handlers));
  }
  item.append(title, note(costLine(run), 'jp-WorkbenchRun-cost'));
  if (run.status === 'cancelled' && run.cancelled_by) {
    item.append(note(`Cancelled by ${run.cancelled_by}`, 'jp-WorkbenchRun-cancelled'));
  }
  const steps = document.createElement('ul');
  steps.className = 'jp-WorkbenchRun-steps';
  for (const step of run.steps) {
    const row = document.createElement('li');
    row.dataset.status = step.status;
    row.append([`${step.name}: ${step.status}`, seconds(step.seconds)].filter(Boolean).join(' '));
    if (step.output_html_path) {
      const open = document.createElement('a');
      open.className = 'jp-WorkbenchRun-output';
      open.textContent = 'executed notebook';
      open.title = `Show ${step.output_path ?? step.output_html_path}`;
      open.onclick = () => handlers.openOutput(step.name);
      row.append(' ', open);
    }
    if (step.error) {
      row.append(note(step.error, 'jp-WorkbenchRun-error'));
    }
    steps.append(row);
  }
  item.append(steps);
  return item;
}

function cancelButton(run: IRun, handlers: IRunHandlers): HTMLButtonElement {
  const busy = handlers.cancelling || Boolean(run.cancel_requested);
  const cancel = button(busy ? 'Cancelling…' : 'Cancel', 'jp-WorkbenchRun-cancel', () => handlers.cancel());
  cancel.title = 'Stop this run: its kernel is stopped and its executed notebook kept as far as it ran.';
  cancel.disabled = busy;
  return cancel;
}
