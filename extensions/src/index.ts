/**
 * MLOps Workbench for JupyterLab: the Workbench side panel, a notebook toolbar item showing the
 * notebook's phase and approval state, and palette commands.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, InputDialog, Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';
import { Signal } from '@lumino/signaling';

import { errorText, requestAPI } from './api';
import { openOutput } from './output';
import { WorkbenchPanel } from './panel';
import { NotebookStatusExtension } from './toolbar';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16">
<g class="jp-icon3" fill="#616161"><circle cx="5" cy="5" r="2.5"/><circle cx="12" cy="12" r="2.5"/>
<circle cx="19" cy="19" r="2.5"/><rect x="6" y="6" width="1.6" height="8" transform="rotate(-45 6 6)"/>
<rect x="13" y="13" width="1.6" height="8" transform="rotate(-45 13 13)"/></g></svg>`;

export const workbenchIcon = new LabIcon({ name: 'mlops-workbench:icon', svgstr: ICON_SVG });

export namespace CommandIDs {
  export const openPanel = 'workbench:open-panel';
  export const approve = 'workbench:approve-notebook';
  export const runPipeline = 'workbench:run-pipeline';
  export const newProject = 'workbench:new-project';
  export const tagParameters = 'workbench:tag-parameters';
}

const PARAMETERS_TAG = 'parameters';

/** Save the open notebook at `path` if it has unsaved changes: an approval covers what is on disk. */
async function saveIfDirty(tracker: INotebookTracker, path: string): Promise<void> {
  const open = tracker.find(panel => panel.context.path === path);
  if (open && open.context.model.dirty) {
    await open.context.save();
  }
}

async function approve(tracker: INotebookTracker, path: string): Promise<boolean> {
  const name = path.split('/').pop();
  const answer = await InputDialog.getText({
    title: `Approve ${name}`,
    label: 'Why is this notebook approved? The approval is locked to its code as it is now.',
    placeholder: 'comment',
    okLabel: 'Approve'
  });
  if (!answer.button.accept) {
    return false;
  }
  try {
    await saveIfDirty(tracker, path);
    await requestAPI('approve', { method: 'POST', body: { path, comment: answer.value ?? '' } });
    Notification.success(`Approved ${name}`, { autoClose: 3000 });
    return true;
  } catch (error) {
    Notification.error(`Approval failed: ${errorText(error)}`);
    return false;
  }
}

async function revoke(path: string): Promise<void> {
  try {
    await requestAPI('revoke', { method: 'POST', body: { path } });
  } catch (error) {
    Notification.error(`Revoke failed: ${errorText(error)}`);
  }
}

function tagParameters(panel: NotebookPanel): void {
  const active = panel.content.activeCell;
  if (!active || active.model.type !== 'code') {
    Notification.warning('Select a code cell to tag as the parameters cell.');
    return;
  }
  for (const cell of panel.content.widgets) {
    const tags = ((cell.model.getMetadata('tags') as string[] | undefined) ?? []).filter(t => t !== PARAMETERS_TAG);
    if (cell === active) {
      tags.push(PARAMETERS_TAG);
    }
    if (tags.length) {
      cell.model.setMetadata('tags', tags);
    } else {
      cell.model.deleteMetadata('tags');
    }
  }
  Notification.info('Tagged the selected cell as the parameters cell (any other parameters tag was removed).', {
    autoClose: 3000
  });
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'mlops-workbench:plugin',
  description: 'The MLOps Workbench side panel, notebook status and commands.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    const changed = new Signal<unknown, void>({});
    const panel = new WorkbenchPanel({
      open: path => void app.commands.execute('docmanager:open', { path }),
      approve: path => approve(tracker, path),
      revoke,
      openOutput: (project, runId, step) =>
        void openOutput(widget => app.shell.add(widget, 'main'), workbenchIcon, project, runId, step)
    });
    panel.title.icon = workbenchIcon;
    panel.changed.connect(() => changed.emit());
    app.shell.add(panel, 'left', { rank: 200 });
    restorer?.add(panel, 'workbench-panel');
    app.docRegistry.addWidgetExtension('Notebook', new NotebookStatusExtension(changed));
    const current = () => tracker.currentWidget;

    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Workbench: Open Panel',
      execute: () => {
        app.shell.activateById(panel.id);
        return panel.refresh();
      }
    });
    app.commands.addCommand(CommandIDs.approve, {
      label: 'Workbench: Approve Current Notebook',
      isEnabled: () => current() !== null,
      execute: async () => {
        const notebook = current();
        if (notebook && (await approve(tracker, notebook.context.path))) {
          changed.emit();
          await panel.refresh();
        }
      }
    });
    app.commands.addCommand(CommandIDs.runPipeline, {
      label: 'Workbench: Run Pipeline…',
      execute: () => {
        app.shell.activateById(panel.id);
        return panel.showRunForm();
      }
    });
    app.commands.addCommand(CommandIDs.newProject, {
      label: 'Workbench: New Project from Data…',
      execute: () => {
        app.shell.activateById(panel.id);
        panel.showNewProjectForm();
      }
    });
    app.commands.addCommand(CommandIDs.tagParameters, {
      label: 'Workbench: Tag Selected Cell as Parameters',
      isEnabled: () => current() !== null,
      execute: () => {
        const notebook = current();
        if (notebook) {
          tagParameters(notebook);
        }
      }
    });
    for (const command of Object.values(CommandIDs)) {
      palette?.addItem({ command, category: 'MLOps Workbench' });
    }
  }
};

export default plugin;
