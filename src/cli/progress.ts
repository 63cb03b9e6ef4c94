/** A one-line progress bar on stderr, only when stderr is a terminal. */
export class ProgressBar {
  private last = 0;
  private readonly tty: boolean;
  private shown = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(out.isTTY);
  }

  update(fraction: number | null, label: string, force = false): void {
    if (!this.tty) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const width = 24;
    let bar = '';
    if (fraction !== null) {
      const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
      bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% `;
    }
    const cols = this.out.columns ?? 100;
    // Carriage return, the line, then erase to its end: a shorter line leaves nothing behind.
    this.out.write(`\r${(bar + label).slice(0, cols - 1)}\x1b[K`);
    this.shown = true;
  }

  done(): void {
    if (this.tty && this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}
