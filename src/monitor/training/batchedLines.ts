/**
 * Lines gathered for a short while and handed on as one text: an output
 * channel takes one append per batch instead of one per line, however fast
 * a script prints.
 */
export class BatchedLines {
  private pending: string[] = [];
  private pendingLength = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly sink: (text: string) => void,
    private readonly delayMs = 100,
    /** Past this many characters a batch goes at once (memory stays bounded). */
    private readonly maxPendingLength = 256 * 1024,
  ) {}

  line(text: string): void {
    if (this.closed) return;
    this.pending.push(text);
    this.pendingLength += text.length + 1;
    if (this.pendingLength >= this.maxPendingLength) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    this.pendingLength = 0;
    this.sink(text);
  }

  /** Hands on what is pending; later lines are dropped. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
