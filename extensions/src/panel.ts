/**
 * The Workbench side panel: the six phases as a stepper (state colours, gate reasons, why a
 * phase is failed, stale or alerting, each phase's notebooks with their approval badge), the
 * chosen model, the recent pipeline runs with their cost, the Run pipeline form and the New
 * project form. It refreshes when shown, on demand, when a notebook is saved (its badge may
 * change), every two seconds while a run is queued or running, and when a run started elsewhere
 * shows up (an idle panel asks every ten seconds); a running run can be cancelled from its row
 * (runs.ts draws the rows, text.ts the small pieces of text).
 */
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import {
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
import { runItem } from './runs';
import { ACTIVE, badgeMeaning, gateList, note, section, withCode } from './text';

const POLL_MS = 2000;
/** How often an idle panel asks whether a run started elsewhere (CLI, scheduler, an alert). */
const IDLE_POLL_MS = 10000;

export interface IPanelActions {
  /** Open a file (server-relative path) in the main area. */
  open(path: string): void;
  /** Ask for a comment and approve the notebook at `path`; false when cancelled. */
  approve(path: string): Promise<boolean>;
  /** Revoke the approval of the notebook at `path`. */
  revoke(path: string): Promise<void>;
  /** Show the executed notebook of a run's step. */
  openOutput(project: string, runId: string, step: string): void;
  /** Ask before cancelling a run; false keeps it running. */
  confirmCancel(runId: string): Promise<boolean>;
  /** Tell the user that something the panel was asked to do failed. */
  reportError(message: string): void;
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
  private cancelling = new Set<string>();
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

  /**
   * A notebook was saved: its approval badge (and the phases) may have changed. A hidden panel
   * reloads when it is shown.
   */
  notebookSaved(): void {
    if (this.isVisible) {
      void this.refresh();
    }
  }

  /**
   * Show the Run pipeline form where the user looks: scrolled into view, its first field focused.
   * The panel reloads first (the pipelines may have changed); the form is placed after that, so
   * no re-render moves it away.
   */
  async showRunForm(): Promise<void> {
    await this.refresh();
    // A load asked for while another was in flight (a save, a poll) starts when that one ends:
    // wait for it too, or its re-render would move the form away from where it was placed.
    while (this.loading) {
      await this.loading;
    }
    this.closeForm();
    if (!this.pipelines.length) {
      const message = note(this.runsProblem || 'This project has no pipeline defined (pipeline.yaml).');
      this.formSlot.replaceChildren(message);
      message.scrollIntoView({ block: 'nearest' });
      return;
    }
    const form = new RunForm(
      this.pipelines,
      (pipeline, parameters) => this.startRun(pipeline, parameters),
      () => this.closeForm()
    );
    this.form = form;
    this.formSlot.replaceChildren(this.form.node);
    form.node.scrollIntoView({ block: 'start' });
    const first = form.node.querySelector<HTMLElement>('select, input, button');
    first?.focus({ preventScroll: true });
    // The shell may still be activating the panel from the click on Run pipeline (it focuses the
    // panel itself): give the focus back to the form once that is done.
    requestAnimationFrame(() => {
      if (this.form === form && !form.node.contains(document.activeElement)) {
        first?.focus({ preventScroll: true });
      }
    });
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
    if (!this.isVisible || this.project === null) {
      return;
    }
    this.timer = this.hasActiveRun
      ? window.setTimeout(() => void this.refresh(), POLL_MS)
      : window.setTimeout(() => void this.checkForNewRuns(), IDLE_POLL_MS);
  }

  /** Reload when the newest run is not the one shown (a run started from the CLI or by a schedule). */
  private async checkForNewRuns(): Promise<void> {
    this.timer = null;
    const shown = this.runs.length ? this.runs[0] : null;
    try {
      const params = { project: this.project ?? '', limit: '1' };
      const [newest] = (await requestAPI<{ runs: IRun[] }>('runs', { params })).runs;
      if (newest && (newest.run_id !== shown?.run_id || newest.status !== shown?.status)) {
        await this.refresh();
        return;
      }
    } catch {
      // The server is away for a moment: ask again at the next tick.
    }
    if (this.timer === null && !this.loading) {
      this.schedule();
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
    // Rebuilding the sections empties the panel for a moment, which would scroll it to the top:
    // every poll of a running run would throw the reader away from what they were looking at.
    const scrolled = this.node.scrollTop;
    this.renderSections();
    this.node.scrollTop = scrolled;
  }

  private renderSections(): void {
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
      this.header.append(line, withCode(`Next: ${this.status.next_step}`, 'jp-WorkbenchPanel-next'));
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
      body.append(withCode(phase.reason, 'jp-WorkbenchPhase-reason'));
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
      link.tabIndex = 0;
      link.onclick = () => this.actions.open(nb.path);
      const badge = document.createElement('span');
      badge.className = 'jp-WorkbenchBadge';
      badge.dataset.state = nb.state ?? 'none';
      badge.textContent = nb.state ?? 'none';
      badge.title = badgeMeaning(nb);
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

  private async cancel(run: IRun): Promise<void> {
    if (!(await this.actions.confirmCancel(run.run_id))) {
      return;
    }
    this.cancelling.add(run.run_id);
    this.render();
    try {
      await requestAPI<IRun>(`runs/${encodeURIComponent(run.run_id)}/cancel`, {
        method: 'POST',
        body: { project: this.project ?? '' }
      });
    } catch (error) {
      this.actions.reportError(`Cancel failed: ${errorText(error)}`);
    } finally {
      this.cancelling.delete(run.run_id);
    }
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
      this.runsList.append(
        runItem(record, {
          cancelling: this.cancelling.has(record.run_id),
          cancel: () => void this.cancel(record),
          openOutput: step => this.actions.openOutput(this.project ?? '', record.run_id, step)
        })
      );
    }
  }
}
