/**
 * The Run pipeline form: one typed input per pipeline parameter, checked in the browser before
 * anything is sent (the server checks again with the same rules and names the bad parameter).
 */
import { ApiError, IParameter, IPipeline, errorText } from './api';

export interface ICheck {
  value?: unknown;
  error?: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const INTEGER = /^[+-]?\d+$/;

/** Check one raw input against its parameter's type; an empty optional value is left out. */
export function checkParameter(spec: IParameter, raw: string | boolean): ICheck {
  if (spec.type === 'bool') {
    return { value: Boolean(raw) };
  }
  const text = String(raw).trim();
  if (text === '') {
    return spec.required ? { error: `${spec.name} is required.` } : {};
  }
  switch (spec.type) {
    case 'int':
      return INTEGER.test(text)
        ? { value: parseInt(text, 10) }
        : { error: `${spec.name} must be a whole number, got "${text}".` };
    case 'float': {
      const value = Number(text);
      return Number.isFinite(value)
        ? { value }
        : { error: `${spec.name} must be a number, got "${text}".` };
    }
    case 'date': {
      const valid = DATE.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));
      return valid ? { value: text } : { error: `${spec.name} must be a date (YYYY-MM-DD), got "${text}".` };
    }
    case 'path': {
      const parts = text.split(/[\\/]/);
      const outside = text.startsWith('/') || /^[A-Za-z]:/.test(text) || parts.includes('..');
      return outside
        ? { error: `${spec.name} must be a path inside the project, got "${text}".` }
        : { value: text };
    }
    case 'choice': {
      const match = spec.choices.find(choice => String(choice) === text);
      return match === undefined
        ? { error: `${spec.name} must be one of ${spec.choices.join(', ')}, got "${text}".` }
        : { value: match };
    }
    default:
      return { value: text };
  }
}

type Submit = (pipeline: string, parameters: Record<string, unknown>) => Promise<void>;

/** The form, shown inside the side panel under the Run pipeline button. */
export class RunForm {
  readonly node: HTMLElement = document.createElement('div');
  private inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  private errors = new Map<string, HTMLElement>();
  private pipelineSelect: HTMLSelectElement;
  private fields: HTMLElement;
  private message: HTMLElement;
  private submitButton: HTMLButtonElement;

  constructor(
    private pipelines: IPipeline[],
    private submit: Submit,
    private cancel: () => void
  ) {
    this.node.className = 'jp-WorkbenchRunForm';
    const label = document.createElement('label');
    label.textContent = 'Pipeline ';
    this.pipelineSelect = document.createElement('select');
    this.pipelineSelect.className = 'jp-WorkbenchRunForm-pipeline';
    for (const pipeline of pipelines) {
      this.pipelineSelect.append(new Option(pipeline.name, pipeline.name));
    }
    this.pipelineSelect.onchange = () => this.showFields();
    label.append(this.pipelineSelect);
    this.fields = document.createElement('div');
    this.message = document.createElement('div');
    this.message.className = 'jp-WorkbenchRunForm-message';
    this.submitButton = button('Start run', 'jp-mod-accept', () => void this.onSubmit());
    const buttons = document.createElement('div');
    buttons.className = 'jp-WorkbenchRunForm-buttons';
    buttons.append(this.submitButton, button('Cancel', '', () => this.cancel()));
    this.node.append(label, this.fields, this.message, buttons);
    this.showFields();
  }

  get pipeline(): IPipeline | undefined {
    return this.pipelines.find(p => p.name === this.pipelineSelect.value);
  }

  /** Check every field; the typed values, or null when a field is wrong (its error is shown). */
  values(): Record<string, unknown> | null {
    const spec = this.pipeline;
    if (!spec) {
      return null;
    }
    const values: Record<string, unknown> = {};
    let ok = true;
    for (const parameter of spec.parameters) {
      const input = this.inputs.get(parameter.name)!;
      const raw = input instanceof HTMLInputElement && input.type === 'checkbox' ? input.checked : input.value;
      const check = checkParameter(parameter, raw);
      this.errors.get(parameter.name)!.textContent = check.error ?? '';
      input.classList.toggle('jp-mod-invalid', Boolean(check.error));
      if (check.error) {
        ok = false;
      } else if (check.value !== undefined) {
        values[parameter.name] = check.value;
      }
    }
    return ok ? values : null;
  }

  private showFields(): void {
    this.fields.replaceChildren();
    this.inputs.clear();
    this.errors.clear();
    this.message.textContent = '';
    const spec = this.pipeline;
    if (!spec) {
      return;
    }
    if (spec.description) {
      const about = document.createElement('p');
      about.textContent = spec.description;
      this.fields.append(about);
    }
    for (const parameter of spec.parameters) {
      this.fields.append(this.field(parameter));
    }
  }

  private field(parameter: IParameter): HTMLElement {
    const row = document.createElement('div');
    row.className = 'jp-WorkbenchRunForm-field';
    row.dataset.parameter = parameter.name;
    const label = document.createElement('label');
    label.textContent = `${parameter.name} (${parameter.type}${parameter.required ? ', required' : ''})`;
    const input = inputFor(parameter);
    input.name = parameter.name;
    input.oninput = () => this.values();
    const error = document.createElement('div');
    error.className = 'jp-WorkbenchRunForm-error';
    label.append(input);
    row.append(label);
    if (parameter.help) {
      const help = document.createElement('div');
      help.className = 'jp-WorkbenchRunForm-help';
      help.textContent = parameter.help;
      row.append(help);
    }
    row.append(error);
    this.inputs.set(parameter.name, input);
    this.errors.set(parameter.name, error);
    return row;
  }

  private async onSubmit(): Promise<void> {
    const values = this.values();
    const spec = this.pipeline;
    if (!values || !spec) {
      this.message.textContent = 'Fix the parameters marked in red first.';
      return;
    }
    this.submitButton.disabled = true;
    this.message.textContent = 'Starting…';
    try {
      await this.submit(spec.name, values);
    } catch (error) {
      const field = error instanceof ApiError ? error.field : null;
      if (field && this.errors.has(field)) {
        this.errors.get(field)!.textContent = errorText(error);
      }
      this.message.textContent = errorText(error);
    } finally {
      this.submitButton.disabled = false;
    }
  }
}

function inputFor(parameter: IParameter): HTMLInputElement | HTMLSelectElement {
  const fallback = parameter.default === null || parameter.default === undefined ? '' : String(parameter.default);
  if (parameter.type === 'choice') {
    const select = document.createElement('select');
    for (const choice of parameter.choices) {
      select.append(new Option(String(choice), String(choice)));
    }
    select.value = fallback || String(parameter.choices[0] ?? '');
    return select;
  }
  const input = document.createElement('input');
  if (parameter.type === 'bool') {
    input.type = 'checkbox';
    input.checked = Boolean(parameter.default);
    return input;
  }
  input.type = parameter.type === 'date' ? 'date' : 'text';
  input.inputMode = parameter.type === 'int' || parameter.type === 'float' ? 'decimal' : 'text';
  input.value = fallback;
  input.placeholder = parameter.required ? 'required' : '';
  return input;
}

export function button(label: string, extra: string, onClick: () => void): HTMLButtonElement {
  const element = document.createElement('button');
  element.className = `jp-Button jp-mod-styled jp-WorkbenchButton ${extra}`.trim();
  element.textContent = label;
  element.onclick = event => {
    event.stopPropagation();
    onClick();
  };
  return element;
}
