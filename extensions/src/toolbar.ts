/**
 * The notebook toolbar item: the open notebook's phase and approval state
 * (approved / changed / none), refreshed after each save and each approval.
 */
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookModel, NotebookPanel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { INotebookState, requestAPI } from './api';
import { badgeMeaning } from './text';

export class NotebookStatus extends Widget {
  constructor(private panel: NotebookPanel) {
    super();
    this.addClass('jp-WorkbenchToolbarStatus');
    this.node.title = 'Workbench: the phase of this notebook and whether it is approved to run in pipelines';
    panel.context.saveState.connect((_, state) => {
      if (state === 'completed') {
        void this.refresh();
      }
    });
    panel.context.pathChanged.connect(() => void this.refresh());
    void this.refresh();
  }

  async refresh(): Promise<void> {
    if (this.isDisposed) {
      return;
    }
    let info: INotebookState;
    try {
      info = await requestAPI<INotebookState>('notebook', { params: { path: this.panel.context.path } });
    } catch {
      this.hide();
      return;
    }
    if (info.project_path === null || this.isDisposed) {
      this.hide();
      return;
    }
    const phase = info.phase ? info.phase[0].toUpperCase() + info.phase.slice(1) : 'No phase';
    this.node.textContent = `${phase} · ${info.state}`;
    this.node.dataset.state = info.state ?? 'none';
    const where = info.phase ? `the ${phase} phase's notebook` : 'a notebook of no phase';
    this.node.title = `Workbench: ${where}. ${badgeMeaning(info)}`;
    this.show();
  }
}

/** Adds a `NotebookStatus` to every notebook's toolbar; refreshes them when approvals change. */
export class NotebookStatusExtension implements DocumentRegistry.IWidgetExtension<NotebookPanel, INotebookModel> {
  private items = new Set<NotebookStatus>();

  constructor(changed: ISignal<unknown, void>) {
    changed.connect(() => this.items.forEach(item => void item.refresh()));
  }

  createNew(panel: NotebookPanel): IDisposable {
    const item = new NotebookStatus(panel);
    this.items.add(item);
    item.disposed.connect(() => this.items.delete(item));
    panel.toolbar.insertItem(10, 'workbenchStatus', item);
    return item;
  }
}
