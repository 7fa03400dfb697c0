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

/**
 * A save() that writes `state` at most every 100 ms: sliders, typing,
 * scrolling and panning save often. A timer, not an animation frame: frames
 * stop when the panel is hidden, and the state must still be saved.
 */
export function stateSaver<State>(host: HostChannel<unknown, unknown, State>, state: State): () => void {
  const SAVE_DELAY_MS = 100;
  let timer: number | undefined;
  return () => {
    if (timer !== undefined) return;
    timer = window.setTimeout(() => {
      timer = undefined;
      host.setState(state);
    }, SAVE_DELAY_MS);
  };
}
