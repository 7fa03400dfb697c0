/** Typed access to the webview's host and persisted state. */
interface VsCodeApi<State> {
  postMessage(message: unknown): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

export interface HostChannel<ToHost, FromHost, State> {
  post(message: ToHost): void;
  onMessage(listener: (message: FromHost) => void): void;
  getState(): State | undefined;
  setState(state: State): void;
}

export function connect<ToHost, FromHost, State = unknown>(): HostChannel<ToHost, FromHost, State> {
  const api = acquireVsCodeApi<State>();
  return {
    post: (message) => api.postMessage(message),
    onMessage: (listener) => window.addEventListener('message', (event: MessageEvent<FromHost>) => listener(event.data)),
    getState: () => api.getState(),
    setState: (state) => api.setState(state),
  };
}
