/**
 * The New project form: a project from the user's own data, made by the same function as
 * `workbench init DIR --data FILE --target COL`. The data file is picked from the CSV and Parquet
 * files under the server root; its columns fill the target and sensitive choices. Whatever the
 * server refuses (a target with missing values, a folder that already holds a project) is shown
 * with the server's message.
 */
import { IColumn, INewProject, INewProjectRequest, errorText, requestAPI } from './api';
import { button } from './runform';

const TASKS: INewProjectRequest['task'][] = ['auto', 'binary', 'multiclass', 'regression'];

type Created = (created: INewProject) => void | Promise<void>;

export class NewProjectForm {
  readonly node: HTMLElement = document.createElement('div');
  private data = document.createElement('input');
  private files = document.createElement('datalist');
  private target = document.createElement('select');
  private task = document.createElement('select');
  private sensitive = document.createElement('select');
  private directory = document.createElement('input');
  private message = document.createElement('div');
  private submitButton: HTMLButtonElement;
  private loadedPath = '';
  private directoryEdited = false;

  constructor(
    private created: Created,
    private cancel: () => void
  ) {
    this.node.className = 'jp-WorkbenchRunForm jp-WorkbenchNewProject';
    const heading = document.createElement('h3');
    heading.textContent = 'New project';
    this.files.id = `jp-WorkbenchNewProject-files-${Math.random().toString(36).slice(2)}`;
    this.data.name = 'data';
    this.data.setAttribute('list', this.files.id);
    this.data.placeholder = 'data/my-data.csv';
    this.data.onchange = () => void this.loadColumns();
    this.target.name = 'target';
    this.target.onchange = () => this.fillSensitive();
    this.task.name = 'task';
    for (const task of TASKS) {
      this.task.append(new Option(task === 'auto' ? 'auto (inferred from the target)' : task, task));
    }
    this.sensitive.name = 'sensitive';
    this.sensitive.multiple = true;
    this.sensitive.size = 4;
    this.directory.name = 'directory';
    this.directory.placeholder = 'my-project';
    this.directory.oninput = () => (this.directoryEdited = true);
    this.message.className = 'jp-WorkbenchRunForm-message';
    this.submitButton = button('Create project', 'jp-mod-accept', () => void this.onSubmit());
    const buttons = document.createElement('div');
    buttons.className = 'jp-WorkbenchRunForm-buttons';
    buttons.append(this.submitButton, button('Cancel', '', () => this.cancel()));
    this.node.append(
      heading,
      field('Data file (CSV or Parquet, inside this folder)', this.data, 'data'),
      this.files,
      field('Target column', this.target, 'target'),
      field('Task', this.task, 'task'),
      field('Sensitive columns (optional; Ctrl/Cmd-click for several)', this.sensitive, 'sensitive'),
      field('Project folder', this.directory, 'directory'),
      this.message,
      buttons
    );
    void this.loadFiles();
  }

  /** Fill the data file suggestions from the server. */
  private async loadFiles(): Promise<void> {
    try {
      const { files } = await requestAPI<{ files: string[] }>('datafiles');
      this.files.replaceChildren(...files.map(path => new Option(path, path)));
    } catch (error) {
      this.message.textContent = errorText(error);
    }
  }

  /** Read the chosen file's columns into the target and sensitive choices. */
  async loadColumns(): Promise<void> {
    const path = this.data.value.trim();
    if (!path || path === this.loadedPath) {
      return;
    }
    this.target.replaceChildren();
    this.sensitive.replaceChildren();
    this.message.textContent = 'Reading the columns…';
    try {
      const { columns } = await requestAPI<{ columns: IColumn[] }>('columns', { params: { path } });
      this.loadedPath = path;
      this.target.append(new Option('(choose the target column)', ''));
      for (const column of columns) {
        this.target.append(new Option(`${column.name} (${column.dtype})`, column.name));
      }
      this.fillSensitive();
      if (!this.directoryEdited) {
        this.directory.value = stem(path);
      }
      this.message.textContent = '';
    } catch (error) {
      this.loadedPath = '';
      this.message.textContent = errorText(error);
    }
  }

  /** Every column but the target may be sensitive. */
  private fillSensitive(): void {
    const chosen = new Set(Array.from(this.sensitive.selectedOptions, option => option.value));
    const columns = Array.from(this.target.options, option => option.value).filter(Boolean);
    this.sensitive.replaceChildren(
      ...columns
        .filter(name => name !== this.target.value)
        .map(name => new Option(name, name, false, chosen.has(name)))
    );
  }

  request(): INewProjectRequest {
    return {
      data: this.data.value.trim(),
      target: this.target.value,
      task: this.task.value as INewProjectRequest['task'],
      sensitive: Array.from(this.sensitive.selectedOptions, option => option.value),
      directory: this.directory.value.trim()
    };
  }

  private async onSubmit(): Promise<void> {
    const request = this.request();
    if (!request.data || !request.target || !request.directory) {
      this.message.textContent = 'Choose a data file, its target column and a project folder first.';
      return;
    }
    this.submitButton.disabled = true;
    this.message.textContent = 'Creating the project…';
    try {
      const created = await requestAPI<INewProject>('projects', { method: 'POST', body: request });
      this.message.textContent = '';
      await this.created(created);
    } catch (error) {
      this.message.textContent = errorText(error);
    } finally {
      this.submitButton.disabled = false;
    }
  }
}

function field(text: string, input: HTMLElement, name: string): HTMLElement {
  const row = document.createElement('div');
  row.className = 'jp-WorkbenchRunForm-field';
  row.dataset.field = name;
  const label = document.createElement('label');
  label.textContent = text;
  label.append(input);
  row.append(label);
  return row;
}

/** `data/wine.csv` -> `wine`: the default project folder. */
function stem(path: string): string {
  const name = path.split('/').pop() ?? path;
  return name.replace(/\.(csv|parquet|pq)$/i, '') || 'project';
}
