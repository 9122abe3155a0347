/**
 * Small pieces of the panel's text: cost lines, badge meanings, commands shown as code, times.
 */
import { IGate, INotebookState, IRun } from './api';

/** Run states in which a run can still change (polled, cancellable). */
export const ACTIVE = new Set(['queued', 'running']);

/** A run's cost as far as it is known: a running run has no CPU or memory figure yet. */
export function costLine(run: IRun): string {
  const parts: string[] = [];
  if (run.seconds !== null && run.seconds !== undefined) {
    parts.push(ACTIVE.has(run.status) ? `${seconds(run.seconds)} so far` : seconds(run.seconds));
  }
  if (run.cpu_seconds !== null && run.cpu_seconds !== undefined) {
    parts.push(`CPU ${seconds(run.cpu_seconds)}`);
  }
  parts.push(memory(run.peak_memory_mb), run.trigger ? `started by ${run.trigger}` : '');
  return parts.filter(Boolean).join(' · ');
}

/** What a notebook's approval badge means, for its tooltip. */
export function badgeMeaning(nb: INotebookState): string {
  if (nb.reason) {
    return nb.reason;
  }
  const by = nb.approved_by ? ` by ${nb.approved_by} at ${nb.approved_at}${nb.comment ? `: ${nb.comment}` : ''}` : '';
  switch (nb.state) {
    case 'approved':
      return `Approved${by}. Pipelines run it as it is now.`;
    case 'changed':
      return `Changed since it was approved${by}. Pipelines will not run it until it is approved again.`;
    default:
      return 'Never approved. Pipelines run only approved notebooks: review it, then Approve.';
  }
}

/** Text whose `backticked` parts are shown as code (the server writes commands that way). */
export function withCode(text: string, className: string): HTMLElement {
  const element = document.createElement('div');
  element.className = className;
  text.split('`').forEach((part, index) => {
    if (index % 2 === 1) {
      const code = document.createElement('code');
      code.textContent = part;
      element.append(code);
    } else if (part) {
      element.append(part);
    }
  });
  return element;
}

export function section(className: string): HTMLElement {
  const element = document.createElement('div');
  element.className = className;
  return element;
}

export function note(text: string, className = 'jp-WorkbenchPanel-note'): HTMLElement {
  const element = document.createElement('div');
  element.className = className;
  element.textContent = text;
  return element;
}

/** The gates of a phase, folded when they all passed (a failed gate's reason is always shown). */
export function gateList(gates: IGate[]): HTMLElement {
  const passed = gates.filter(gate => gate.passed).length;
  const details = document.createElement('details');
  details.className = 'jp-WorkbenchGates';
  details.dataset.passed = String(passed === gates.length);
  details.open = passed < gates.length;
  const summary = document.createElement('summary');
  summary.textContent = `${passed} of ${gates.length} gates passed`;
  const list = document.createElement('ul');
  for (const gate of gates) {
    const row = document.createElement('li');
    row.dataset.passed = String(gate.passed);
    row.textContent = `${gate.passed ? '✓' : '✗'} ${gate.reason}`;
    list.append(row);
  }
  details.append(summary, list);
  return details;
}

export function seconds(value: number | null): string {
  if (value === null || value === undefined) {
    return '';
  }
  return value < 60 ? `${value.toFixed(1)} s` : `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
}

export function when(iso: string | null): string {
  const date = iso ? new Date(iso) : null;
  return date && !Number.isNaN(date.getTime()) ? date.toLocaleString() : '';
}

export function memory(value: number | null): string {
  return value === null || value === undefined ? '' : `${Math.round(value)} MB peak`;
}
