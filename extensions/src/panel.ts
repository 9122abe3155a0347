/**
 * The Workbench side panel: the six phases as a stepper (state colours, gate reasons, why a
 * phase is failed, stale or alerting, each phase's notebooks with their approval badge), the
 * chosen model, the recent pipeline runs with their cost, the Run pipeline form and the New
 * project form. It refreshes when shown, on demand, and every two seconds while a run is queued
 * or running.
 */
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import {
  IGate,
  INewProject,
  INotebookState,
  IPhaseStatus,
  IPipeline,
  IProject,
  IProjectStatus,
  IRun,
  errorText,
  requestAPI
} from './api';
import { NewProjectForm } from './newproject';
import { RunForm, button } from './runform';

const ACTIVE = new Set(['queued', 'running']);
const POLL_MS = 2000;

export interface IPanelActions {
  /** Open a file (server-relative path) in the main area. */
  open(path: string): void;
  /** Ask for a comment and approve the notebook at `path`; false when cancelled. */
  approve(path: string): Promise<boolean>;
  /** Revoke the approval of the notebook at `path`. */
  revoke(path: string): Promise<void>;
  /** Show the executed notebook of a run's step. */
  openOutput(project: string, runId: string, step: string): void;
}

export class WorkbenchPanel extends Widget {
  /** Emitted after the panel changed an approval or started a run. */
  readonly changed = new Signal<this, void>(this);
  private projects: IProject[] = [];
  private project: string | null = null;
  private status: IProjectStatus | null = null;
  private notebooks: INotebookState[] = [];
  private runs: IRun[] = [];
  private pipelines: IPipeline[] = [];
  private runsProblem = '';
  private problem = '';
  private form: RunForm | NewProjectForm | null = null;
  private timer: number | null = null;
  private loading: Promise<void> | null = null;
  private reloadPending = false;
  private header = section('jp-WorkbenchPanel-header');
  private stepper = section('jp-WorkbenchPanel-phases');
  private runsHeader = section('jp-WorkbenchPanel-runsHeader');
  private formSlot = section('jp-WorkbenchPanel-form');
  private createSlot = section('jp-WorkbenchPanel-create');
  private runsList = section('jp-WorkbenchPanel-runs');

  constructor(private actions: IPanelActions) {
    super();
    this.id = 'workbench-panel';
    this.addClass('jp-WorkbenchPanel');
    this.title.caption = 'Workbench';
    this.node.append(this.header, this.createSlot, this.stepper, this.runsHeader, this.formSlot, this.runsList);
  }

  get hasActiveRun(): boolean {
    return this.runs.some(run => ACTIVE.has(run.status));
  }

  /**
   * Reload everything from the server (one load at a time). A refresh asked for while a load is
   * in flight (the project was switched, a run started) loads again when that one ends, so the
   * panel never keeps showing what the older load fetched.
   */
  refresh(): Promise<void> {
    if (this.loading) {
      this.reloadPending = true;
      return this.loading;
    }
    this.loading = this.load().finally(() => {
      this.loading = null;
      if (this.reloadPending) {
        this.reloadPending = false;
        void this.refresh();
      } else {
        this.schedule();
      }
    });
    return this.loading;
  }

  /** Show the Run pipeline form. */
  async showRunForm(): Promise<void> {
    await this.refresh();
    this.closeForm();
    if (!this.pipelines.length) {
      this.formSlot.replaceChildren(note(this.runsProblem || 'This project has no pipeline defined (pipeline.yaml).'));
      return;
    }
    this.form = new RunForm(
      this.pipelines,
      (pipeline, parameters) => this.startRun(pipeline, parameters),
      () => this.closeForm()
    );
    this.formSlot.replaceChildren(this.form.node);
  }

  /** Show the New project form (a project from the user's data, as `workbench init --data`). */
  showNewProjectForm(): void {
    const form = new NewProjectForm(
      created => this.projectCreated(created),
      () => this.closeForm()
    );
    this.closeForm();
    this.form = form;
    this.createSlot.replaceChildren(form.node);
    form.node.scrollIntoView({ block: 'nearest' });
  }

  private async projectCreated(created: INewProject): Promise<void> {
    this.project = created.project_path;
    this.closeForm();
    this.changed.emit();
    await this.refresh();
  }

  protected onAfterShow(): void {
    void this.refresh();
  }

  protected onBeforeHide(): void {
    this.stop();
  }

  dispose(): void {
    this.stop();
    super.dispose();
  }

  private async load(): Promise<void> {
    try {
      this.projects = (await requestAPI<{ projects: IProject[] }>('projects')).projects;
      if (!this.projects.some(p => p.path === this.project)) {
        this.project = this.projects.length ? this.projects[0].path : null;
      }
      this.problem = '';
      if (this.project !== null) {
        const params = { project: this.project };
        const [status, notebooks] = await Promise.all([
          requestAPI<IProjectStatus>('status', { params }),
          requestAPI<{ notebooks: INotebookState[] }>('notebooks', { params })
        ]);
        this.status = status;
        this.notebooks = notebooks.notebooks;
        await this.loadRuns(params);
      }
    } catch (error) {
      this.problem = errorText(error);
    }
    this.render();
  }

  private async loadRuns(params: Record<string, string>): Promise<void> {
    try {
      const [runs, pipelines] = await Promise.all([
        requestAPI<{ runs: IRun[] }>('runs', { params }),
        requestAPI<{ pipelines: IPipeline[] }>('pipelines', { params })
      ]);
      this.runs = runs.runs;
      this.pipelines = pipelines.pipelines;
      this.runsProblem = '';
    } catch (error) {
      this.runs = [];
      this.pipelines = [];
      this.runsProblem = errorText(error);
    }
  }

  private schedule(): void {
    this.stop();
    if (this.hasActiveRun && this.isVisible) {
      this.timer = window.setTimeout(() => void this.refresh(), POLL_MS);
    }
  }

  private stop(): void {
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private async startRun(pipeline: string, parameters: Record<string, unknown>): Promise<void> {
    await requestAPI<{ run_id: string }>('runs', {
      method: 'POST',
      body: { project: this.project ?? '', pipeline, parameters }
    });
    this.closeForm();
    this.changed.emit();
    await this.refresh();
  }

  private closeForm(): void {
    this.form = null;
    this.formSlot.replaceChildren();
    this.createSlot.replaceChildren();
  }

  private render(): void {
    this.renderHeader();
    this.stepper.replaceChildren();
    this.runsHeader.replaceChildren();
    this.runsList.replaceChildren();
    if (this.problem) {
      this.stepper.append(note(this.problem, 'jp-WorkbenchPanel-error'));
      return;
    }
    if (this.project === null) {
      this.stepper.append(
        note(
          'No Workbench project in this folder. Create one from your data with New project ' +
            '(or workbench init DIR --data FILE --target COLUMN), or try workbench demo.'
        )
      );
      return;
    }
    if (this.status) {
      this.renderPhases(this.status);
    }
    this.renderRuns();
  }

  private renderHeader(): void {
    const title = document.createElement('h2');
    title.textContent = 'Workbench';
    const refresh = button('Refresh', 'jp-WorkbenchPanel-refresh', () => void this.refresh());
    const create = button('New project', 'jp-WorkbenchPanel-newProject', () => this.showNewProjectForm());
    const row = document.createElement('div');
    row.className = 'jp-WorkbenchPanel-titleRow';
    row.append(title, create, refresh);
    this.header.replaceChildren(row);
    if (this.projects.length > 1) {
      const select = document.createElement('select');
      select.className = 'jp-WorkbenchPanel-project';
      for (const project of this.projects) {
        select.append(new Option(`${project.name} (${project.path || '.'})`, project.path));
      }
      select.value = this.project ?? '';
      select.onchange = () => {
        this.project = select.value;
        this.closeForm();
        void this.refresh();
      };
      this.header.append(select);
    } else if (this.status) {
      this.header.append(note(`Project ${this.status.project}`, 'jp-WorkbenchPanel-projectName'));
    }
    if (this.status) {
      const chosen = this.status.chosen_model;
      const text = chosen ? chosen.description : 'none yet (notebook 02 with select_model = True, or workbench select)';
      const line = note(`Chosen model: ${text}`, 'jp-WorkbenchPanel-chosen');
      line.title = chosen ? chosen.uri : '';
      this.header.append(line, note(`Next: ${this.status.next_step}`, 'jp-WorkbenchPanel-next'));
    }
  }

  private renderPhases(status: IProjectStatus): void {
    const list = document.createElement('ol');
    list.className = 'jp-WorkbenchStepper';
    for (const phase of status.phases) {
      list.append(this.phaseItem(phase));
    }
    this.stepper.append(list);
    const others = this.notebooks.filter(nb => !status.phases.some(p => p.phase === nb.phase));
    if (others.length) {
      const heading = document.createElement('h3');
      heading.textContent = 'Other notebooks';
      this.stepper.append(heading, this.notebookList(others));
    }
  }

  private phaseItem(phase: IPhaseStatus): HTMLElement {
    const item = document.createElement('li');
    item.className = 'jp-WorkbenchPhase';
    item.dataset.phase = phase.phase;
    item.dataset.state = phase.state;
    const marker = document.createElement('div');
    marker.className = 'jp-WorkbenchPhase-marker';
    marker.textContent = String(phase.number);
    const body = document.createElement('div');
    body.className = 'jp-WorkbenchPhase-body';
    const title = document.createElement('div');
    title.className = 'jp-WorkbenchPhase-title';
    const name = document.createElement('span');
    name.className = 'jp-WorkbenchPhase-name';
    name.textContent = phase.title;
    const state = document.createElement('span');
    state.className = 'jp-WorkbenchPhase-state';
    state.textContent = phase.state;
    title.append(name, state);
    body.append(title, note(phase.purpose, 'jp-WorkbenchPhase-purpose'));
    if (phase.reason) {
      body.append(note(phase.reason, 'jp-WorkbenchPhase-reason'));
    }
    if (phase.gates.length) {
      body.append(gateList(phase.gates));
    }
    const notebooks = this.notebooks.filter(nb => nb.phase === phase.phase);
    body.append(this.notebookList(notebooks));
    item.append(marker, body);
    return item;
  }

  private notebookList(notebooks: INotebookState[]): HTMLElement {
    const list = document.createElement('ul');
    list.className = 'jp-WorkbenchNotebooks';
    for (const nb of notebooks) {
      const row = document.createElement('li');
      row.className = 'jp-WorkbenchNotebook';
      row.dataset.path = nb.path;
      const link = document.createElement('a');
      link.className = 'jp-WorkbenchNotebook-link';
      link.textContent = nb.notebook.split('/').pop() ?? nb.notebook;
      link.title = `Open ${nb.path}`;
      link.onclick = () => this.actions.open(nb.path);
      const badge = document.createElement('span');
      badge.className = 'jp-WorkbenchBadge';
      badge.dataset.state = nb.state ?? 'none';
      badge.textContent = nb.state ?? 'none';
      if (nb.reason) {
        badge.title = nb.reason;
      } else if (nb.approved_by) {
        badge.title = `Approved by ${nb.approved_by} at ${nb.approved_at}${nb.comment ? `: ${nb.comment}` : ''}`;
      }
      row.append(link, badge);
      if (nb.state === 'approved') {
        row.append(button('Revoke', 'jp-WorkbenchRevoke', () => void this.revoke(nb.path)));
      } else if (nb.state !== 'unreadable') {
        row.append(button('Approve', 'jp-WorkbenchApprove', () => void this.approve(nb.path)));
      }
      list.append(row);
    }
    return list;
  }

  private async approve(path: string): Promise<void> {
    if (await this.actions.approve(path)) {
      this.changed.emit();
      await this.refresh();
    }
  }

  private async revoke(path: string): Promise<void> {
    await this.actions.revoke(path);
    this.changed.emit();
    await this.refresh();
  }

  private renderRuns(): void {
    const heading = document.createElement('h3');
    heading.textContent = 'Runs';
    const run = button('Run pipeline', 'jp-WorkbenchRunButton jp-mod-accept', () => void this.showRunForm());
    this.runsHeader.append(heading, run);
    if (this.runsProblem) {
      this.runsList.append(note(this.runsProblem, 'jp-WorkbenchPanel-error'));
      return;
    }
    if (!this.runs.length) {
      this.runsList.append(note('No runs yet.'));
    }
    for (const record of this.runs) {
      this.runsList.append(this.runItem(record));
    }
  }

  private runItem(run: IRun): HTMLElement {
    const item = document.createElement('div');
    item.className = 'jp-WorkbenchRun';
    item.dataset.status = run.status;
    item.dataset.runId = run.run_id;
    const title = document.createElement('div');
    title.className = 'jp-WorkbenchRun-title';
    const status = document.createElement('span');
    status.className = 'jp-WorkbenchRun-status';
    status.textContent = run.status;
    title.append(status, ` ${run.pipeline} · ${when(run.started ?? run.created)}`);
    title.title = `Run ${run.run_id}`;
    const cost = note(
      [seconds(run.seconds), `CPU ${seconds(run.cpu_seconds)}`, memory(run.peak_memory_mb), run.trigger]
        .filter(Boolean)
        .join(' · '),
      'jp-WorkbenchRun-cost'
    );
    item.append(title, cost);
    const steps = document.createElement('ul');
    steps.className = 'jp-WorkbenchRun-steps';
    for (const step of run.steps) {
      const row = document.createElement('li');
      row.dataset.status = step.status;
      row.append(`${step.name}: ${step.status} ${seconds(step.seconds)}`.trim());
      if (step.output_html_path) {
        const open = document.createElement('a');
        open.className = 'jp-WorkbenchRun-output';
        open.textContent = 'executed notebook';
        open.title = `Show ${step.output_path ?? step.output_html_path}`;
        open.onclick = () => this.actions.openOutput(this.project ?? '', run.run_id, step.name);
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
}

function section(className: string): HTMLElement {
  const element = document.createElement('div');
  element.className = className;
  return element;
}

function note(text: string, className = 'jp-WorkbenchPanel-note'): HTMLElement {
  const element = document.createElement('div');
  element.className = className;
  element.textContent = text;
  return element;
}

/** The gates of a phase, folded when they all passed (a failed gate's reason is always shown). */
function gateList(gates: IGate[]): HTMLElement {
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

function seconds(value: number | null): string {
  if (value === null || value === undefined) {
    return '';
  }
  return value < 60 ? `${value.toFixed(1)} s` : `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
}

function when(iso: string | null): string {
  const date = iso ? new Date(iso) : null;
  return date && !Number.isNaN(date.getTime()) ? date.toLocaleString() : '';
}

function memory(value: number | null): string {
  return value === null || value === undefined ? '' : `${Math.round(value)} MB peak`;
}
