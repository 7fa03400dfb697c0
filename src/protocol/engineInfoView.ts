/** Messages between the host and the Engine Info webview. */
import type { EngineInfo } from './engine';

export type EngineInfoViewState =
  | { status: 'starting' }
  | { status: 'ready'; info: EngineInfo }
  | { status: 'failed'; message: string };

export type EngineInfoHostMessage = { type: 'state'; state: EngineInfoViewState };

export type EngineInfoViewMessage =
  | { type: 'ready' }
  | { type: 'restart' }
  | { type: 'installNative' }
  | { type: 'copy' };
