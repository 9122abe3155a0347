/**
 * The client of the server extension's REST API under `/workbench/api/`.
 *
 * Requests go through `ServerConnection.makeRequest`, which adds the token and XSRF headers;
 * a 4xx answer becomes an `ApiError` carrying the server's message and hint.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export interface IGate {
  name: string;
  passed: boolean;
  reason: string;
}

export interface IPhaseStatus {
  phase: string;
  number: number;
  title: string;
  notebook: string;
  path: string;
  purpose: string;
  state: string;
  finished_at: string | null;
  gates: IGate[];
  /** Why the phase is failed, stale, alerting (or, Evaluate, without a chosen model). */
  reason: string | null;
  /** The model its run used or logged. */
  model_uri: string | null;
}

/** The Evaluate model that moves on to Develop and Package (workbench/selection.py). */
export interface IChosenModel {
  run_id: string;
  uri: string;
  chosen_at: string | null;
  chosen_by: string;
  versions: string[];
  aliases: string[];
  description: string;
}

export interface IProjectStatus {
  project: string;
  project_path: string;
  phases: IPhaseStatus[];
  next_step: string;
  chosen_model: IChosenModel | null;
}

export interface IColumn {
  name: string;
  dtype: string;
}

/** What the New project form sends (`POST projects`); paths relative to the server root. */
export interface INewProjectRequest {
  data: string;
  target: string;
  task: 'auto' | 'binary' | 'multiclass' | 'regression';
  sensitive: string[];
  directory: string;
}

export interface INewProject {
  project_path: string;
  name: string;
  target: string;
  task: string;
  sensitive: string[];
  next_step: string;
}

export interface IProject {
  path: string;
  name: string;
  error?: string;
}

export interface INotebookState {
  notebook: string;
  path: string;
  project_path: string | null;
  phase: string | null;
  state: 'approved' | 'changed' | 'none' | 'unreadable' | null;
  /** Why the file cannot be read (state `unreadable`). */
  reason?: string;
  approved_by?: string | null;
  approved_at?: string | null;
  comment?: string;
}

export interface IStep {
  name: string;
  notebook: string;
  status: string;
  attempts: number;
  seconds: number | null;
  cpu_seconds: number | null;
  peak_memory_mb: number | null;
  error: string | null;
  output_notebook: string | null;
  output_path: string | null;
  output_html_path: string | null;
}

export interface IRun {
  run_id: string;
  pipeline: string;
  parameters: Record<string, unknown>;
  status: string;
  trigger: string;
  created: string | null;
  started: string | null;
  ended: string | null;
  seconds: number | null;
  cpu_seconds: number | null;
  peak_memory_mb: number | null;
  steps: IStep[];
}

export interface IParameter {
  name: string;
  type: 'int' | 'float' | 'str' | 'bool' | 'date' | 'path' | 'choice';
  default: unknown;
  required: boolean;
  choices: unknown[];
  help: string;
}

export interface IPipeline {
  name: string;
  description: string;
  parameters: IParameter[];
  steps: { name: string; notebook: string }[];
}

/** An error answered by the API: the message names the problem, the hint its fix. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly hint: string | null = null,
    readonly field: string | null = null
  ) {
    super(message);
  }

  get text(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }
}

/** Call `endpoint` of the Workbench API and return its JSON answer. */
export async function requestAPI<T>(
  endpoint: string,
  options: { method?: string; params?: Record<string, string>; body?: unknown } = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const query = URLExt.objectToQueryString(options.params ?? {});
  const url = URLExt.join(settings.baseUrl, 'workbench', 'api', endpoint) + query;
  const init: RequestInit = { method: options.method ?? 'GET' };
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError(`The Jupyter server cannot be reached: ${error}`, 0);
  }
  const text = await response.text();
  let data: any = {};
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = {};
    }
  }
  if (!response.ok) {
    throw new ApiError(
      data.message || `${endpoint}: HTTP ${response.status} ${response.statusText}`.trim(),
      response.status,
      data.hint ?? null,
      data.name ?? null
    );
  }
  return data as T;
}

export function errorText(error: unknown): string {
  return error instanceof ApiError ? error.text : String(error);
}
