// The API client: every call carries the session's bearer token, and every failure becomes an ApiFailure whose
// message is the API's own (a sentence a person can act on), or says what went wrong on the way.
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type OrgCard = Schemas['OrgCard'];
export type JobSummary = Schemas['JobSummary'];
export type JobAccepted = Schemas['JobAccepted'];
export type LogEntry = Schemas['LogEntry'];
export type ObjectHistory = Schemas['ObjectHistory'];
export type RestoreRequest = Schemas['RestoreRequest'];

type Json<P extends keyof paths, M extends 'get' | 'post' | 'patch'> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends { 200: { content: { 'application/json': infer B } } }
    ? B
    : R extends { 201: { content: { 'application/json': infer B } } }
      ? B
      : R extends { 202: { content: { 'application/json': infer B } } }
        ? B
        : never
  : never;

export type Authorized = components['responses']['Authorized']['content']['application/json'];
export type Timeline = Json<'/v1/snapshots', 'get'>;
export type TimelineEntry = Timeline['snapshots'][number];
export type CategoryTree = Json<'/v1/snapshots/{snapshot}', 'get'>;
export type ObjectPage = Json<'/v1/snapshots/{snapshot}/categories/{category}', 'get'>;
export type ObjectView = Json<'/v1/snapshots/{snapshot}/categories/{category}/objects/{id}', 'get'>;
export type SearchAnswer = Json<'/v1/orgs/{org}/search', 'get'>;
export type HistoryAnswer = Json<'/v1/orgs/{org}/objects/{category}/{id}/history', 'get'>;
export type RestoreReport = Json<'/v1/restores/{job}', 'get'>;
export type DownloadReport = Json<'/v1/downloads/{job}', 'get'>;
export type DownloadLink = Json<'/v1/downloads/{job}/link', 'get'>;
export type JobList = Json<'/v1/jobs', 'get'>;
export type JobLog = Json<'/v1/jobs/{job}/log', 'get'>;
export type Session = Json<'/v1/console/sessions', 'post'>;
export type UndoAccepted = Json<'/v1/orgs/{org}/undo', 'post'>;

const TOKEN_KEY = 'oktavault.session';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** Signs out when the server no longer knows the session (it restarted): the page asks to sign in again. */
let onSignedOut: () => void = () => {};
export function whenSignedOut(callback: () => void) {
  onSignedOut = callback;
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiFailure(0, 'network', 'The server did not answer: is `oktavault serve` still running?');
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiFailure(response.status, 'not_json', `The server answered ${response.status} with something that is not JSON.`);
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (response.status === 401 && path !== '/v1/console/sessions') onSignedOut();
    throw new ApiFailure(response.status, error?.code ?? 'http', error?.message ?? `The server answered ${response.status}.`);
  }
  return parsed as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body: unknown) => call<T>('POST', path, body);
export const patch = <T>(path: string, body: unknown) => call<T>('PATCH', path, body);

/** A query string from the set values of `params`. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const enc = encodeURIComponent;
