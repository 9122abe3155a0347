/**
 * A step's executed notebook, shown read-only in the main area from its HTML export.
 *
 * Executed notebooks are kept under the project's hidden `.workbench/` folder, which
 * JupyterLab's file manager does not open; the page is shown in a sandboxed frame whose
 * content security policy allows no request to leave it.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { errorText, requestAPI } from './api';

const POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; script-src 'unsafe-inline'";

export interface IOutputPage {
  run_id: string;
  step: string;
  html: string;
}

class OutputFrame extends Widget {
  readonly frame = document.createElement('iframe');

  constructor() {
    super();
    this.addClass('jp-WorkbenchOutput');
    this.frame.className = 'jp-WorkbenchOutput-frame';
    this.frame.setAttribute('sandbox', 'allow-scripts');
    this.node.append(this.frame);
  }

  showPage(html: string): void {
    this.frame.srcdoc = `<meta http-equiv="Content-Security-Policy" content="${POLICY}">${html}`;
  }
}

/** Open the executed notebook of `step` of run `runId` in a new main-area tab. */
export async function openOutput(
  add: (widget: Widget) => void,
  icon: LabIcon,
  project: string,
  runId: string,
  step: string
): Promise<void> {
  const content = new OutputFrame();
  const widget = new MainAreaWidget({ content });
  widget.id = `workbench-output-${runId}-${step}`.replace(/[^A-Za-z0-9_-]/g, '-');
  widget.title.label = `${step} · run ${runId}`;
  widget.title.icon = icon;
  widget.title.closable = true;
  add(widget);
  try {
    const page = await requestAPI<IOutputPage>(`runs/${encodeURIComponent(runId)}/output`, {
      params: { project, step }
    });
    content.showPage(page.html);
  } catch (error) {
    content.showPage(`<p style="color:#d32f2f">${escapeHtml(errorText(error))}</p>`);
  }
}

function escapeHtml(text: string): string {
  const span = document.createElement('span');
  span.textContent = text;
  return span.innerHTML;
}
