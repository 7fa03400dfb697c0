"""A progress bar for custom training loops: tqdm when it is installed, else a plain line every few seconds.

    with Progress(total=steps_per_epoch, description="epoch 3/20") as bar:
        for batch in dataset:
            ...
            bar.update(loss=0.42)        # one step done; the keywords are shown next to the bar
"""
import sys
import time


class Progress:
    def __init__(self, total, description="", enabled=True, every_seconds=10.0):
        self.total, self.description, self.enabled, self.every_seconds = total, description, enabled, every_seconds
        self.count, self.postfix, self.started, self.shown = 0, {}, time.time(), 0.0
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, desc=description, unit="step", dynamic_ncols=True, leave=True)

    def update(self, n=1, **postfix):
        self.count += n
        if postfix:
            self.postfix = {name: f"{float(value):.4g}" for name, value in postfix.items()}
        if not self.enabled:
            return
        if self.bar is not None:
            if postfix:
                self.bar.set_postfix(self.postfix, refresh=False)
            self.bar.update(n)
        elif time.time() - self.shown >= self.every_seconds or self.count >= self.total:
            self._print()

    def _print(self):
        self.shown = time.time()
        elapsed = self.shown - self.started
        rate = self.count / elapsed if elapsed > 0 else 0.0
        values = "  ".join(f"{name} {value}" for name, value in self.postfix.items())
        percent = 100.0 * self.count / self.total if self.total else 100.0
        print(f"{self.description}: {self.count}/{self.total} ({percent:.0f}%), {rate:.1f} steps/s  {values}",
              file=sys.stderr, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
