/**
 * The host's side of the engine process: starts it on first use, matches
 * replies to requests, and restarts it after a crash — at once for the next
 * request, or after a short delay when nobody is waiting — unless it keeps
 * crashing. Free of `vscode` so plain-Node tests drive it against the real
 * worker bundle.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { EngineErrorPayload, EngineInfo, EngineMethod, HostToWorker, ParamsOf, ResultOf, WorkerOptions } from '../protocol/engine';
import { isWorkerToHost } from '../protocol/engine';

export interface EngineClientOptions {
  /** Path of dist/worker.js. */
  workerPath: string;
  /** The Node.js executable; empty: this process's own runtime. */
  runtime?: string;
  workerOptions: WorkerOptions;
  /** Extra environment for the worker. */
  env?: NodeJS.ProcessEnv;
  /** Where the worker's own output and lifecycle events go. */
  log?: (line: string) => void;
  /** Delay before restarting a crashed worker that nobody waits on. */
  restartDelayMs?: number;
  /** More crashes than this within `crashWindowMs` stop automatic restarts. */
  maxCrashes?: number;
  crashWindowMs?: number;
}

/** An error the worker answered with, keeping its class name. */
export class EngineError extends Error {
  constructor(payload: EngineErrorPayload) {
    super(payload.message);
    this.name = payload.name;
  }
}

/** The worker process ended while requests were pending, or could not start. */
export class EngineStoppedError extends Error {
  override name = 'EngineStoppedError';
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Session {
  child: ChildProcess;
  ready: Promise<EngineInfo>;
  /** Settles `ready` with an error; does nothing once the worker was ready. */
  failStart(error: Error): void;
  pending: Map<number, Pending>;
}

export class EngineClient {
  private session: Session | undefined;
  private nextId = 1;
  private crashTimes: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly listeners = new Set<(info: EngineInfo | undefined) => void>();

  constructor(private readonly options: EngineClientOptions) {}

  /** The running worker's pid, if one runs. */
  get pid(): number | undefined {
    return this.session?.child.pid;
  }

  /** Called with the engine info when a worker becomes ready, and with undefined when it stops. */
  onDidChange(listener: (info: EngineInfo | undefined) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Sends one request, starting the worker first if needed. */
  async request<M extends EngineMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    const session = this.ensureStarted();
    await session.ready;
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      session.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const message: HostToWorker = { kind: 'request', id, method, params } as HostToWorker;
      session.child.send(message, (error) => {
        if (!error) return;
        session.pending.delete(id);
        reject(new EngineStoppedError(`Could not reach the engine process: ${error.message}`));
        // The channel is broken (the worker died, its exit not yet seen): drop the session now,
        // or the next request would be sent into the same broken channel.
        if (this.session === session) {
          session.child.kill('SIGKILL');
          this.onExit(session, `could not be reached (${error.message})`);
        }
      });
    });
  }

  /** Stops the worker (if any) and forgets past crashes; the next request starts a new one. */
  async restart(): Promise<void> {
    this.crashTimes = [];
    await this.stop();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.listeners.clear();
    await this.stop();
  }

  private ensureStarted(): Session {
    if (this.disposed) throw new EngineStoppedError('The engine has been shut down.');
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.session) return this.session;
    const { maxCrashes = 5, crashWindowMs = 3 * 60_000 } = this.options;
    const now = Date.now();
    this.crashTimes = this.crashTimes.filter((time) => now - time < crashWindowMs);
    if (this.crashTimes.length > maxCrashes) {
      throw new EngineStoppedError(
        `The engine process crashed ${this.crashTimes.length} times in ${Math.round(crashWindowMs / 60_000)} minutes and was not restarted. ` +
          'Run "Deep Learning: Restart Engine" to try again.',
      );
    }
    this.session = this.spawn();
    return this.session;
  }

  private spawn(): Session {
    const log = this.options.log ?? (() => undefined);
    const child = fork(this.options.workerPath, [JSON.stringify(this.options.workerOptions)], {
      execPath: this.options.runtime || process.execPath,
      // The extension host's own runtime may be Electron: make it behave as Node.
      env: { ...process.env, ...this.options.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const pending = new Map<number, Pending>();
    let settleReady!: { resolve(info: EngineInfo): void; reject(error: Error): void };
    const ready = new Promise<EngineInfo>((resolve, reject) => (settleReady = { resolve, reject }));
    ready.catch(() => undefined); // observed by request(); avoid an unhandled rejection meanwhile
    const session: Session = { child, ready, pending, failStart: (error) => settleReady.reject(error) };
    log(`engine: started pid ${child.pid ?? '?'} (${this.options.runtime || process.execPath})`);

    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim()) log(`engine[${child.pid ?? '?'}]: ${line}`);
      });
    }
    child.on('message', (message: unknown) => {
      if (!isWorkerToHost(message)) return;
      switch (message.kind) {
        case 'ready':
          log(`engine: ready on ${message.info.backend} (${message.info.reason})`);
          settleReady.resolve(message.info);
          for (const listener of this.listeners) listener(message.info);
          break;
        case 'startFailed':
          settleReady.reject(new EngineError(message.error));
          break;
        case 'response': {
          const waiter = pending.get(message.id);
          pending.delete(message.id);
          if (message.ok) waiter?.resolve(message.result);
          else waiter?.reject(new EngineError(message.error));
          break;
        }
      }
    });
    child.on('error', (error) => {
      log(`engine: ${error.message}`);
      this.onExit(session, `could not run (${error.message})`);
    });
    child.on('exit', (code, signal) => this.onExit(session, signal ? `was stopped by ${signal}` : `exited with code ${code ?? '?'}`));
    return session;
  }

  private onExit(session: Session, how: string): void {
    if (this.session !== session) return; // already handled, or deliberately stopped
    this.session = undefined;
    const error = new EngineStoppedError(`The engine process ${how}.`);
    (this.options.log ?? (() => undefined))(`engine: ${error.message}`);
    session.failStart(error);
    rejectAll(session, error);
    for (const listener of this.listeners) listener(undefined);
    if (this.disposed) return;
    this.crashTimes.push(Date.now());
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      try {
        this.ensureStarted();
      } catch {
        // Too many crashes: stay stopped until asked.
      }
    }, this.options.restartDelayMs ?? 1000);
    this.restartTimer.unref();
  }

  private async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    const error = new EngineStoppedError('The engine process was restarted.');
    session.failStart(error);
    rejectAll(session, error);
    for (const listener of this.listeners) listener(undefined);
    const exited = new Promise<void>((resolve) => {
      if (session.child.exitCode !== null || session.child.signalCode !== null) resolve();
      else session.child.once('exit', () => resolve());
    });
    if (session.child.connected) session.child.disconnect(); // the worker exits on disconnect
    const killer = setTimeout(() => session.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(killer);
  }
}

function rejectAll(session: Session, error: Error): void {
  for (const waiter of session.pending.values()) waiter.reject(error);
  session.pending.clear();
}
