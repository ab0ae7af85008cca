/**
 * Watches the DATA bytes of one message for line endings that a server further down the path
 * could read as the end of the data.
 *
 * smtp-server ends DATA only at `<CR><LF>.<CR><LF>`, so `<LF>.<CR><LF>` cannot split a message
 * here. A next hop may read a bare LF as a line end, though, and then see a second, smuggled
 * message in the body; every bare LF is therefore rejected. A bare CR is common in real mail
 * (old clients, spam tools) and harmless on its own, so it is rejected only where it ends or
 * starts a line that holds a single dot, which some servers read as the end of the data.
 * Works across chunk boundaries; feed the chunks in order, then call `finish()`.
 */
export class LineEndingCheck {
  /** The last three bytes seen, oldest first; -1 before the start. */
  private readonly window = [-1, -1, -1];
  private isUnsafe = false;

  update(chunk: Buffer): void {
    if (this.isUnsafe) return;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (this.isUnsafeAt(byte)) {
        this.isUnsafe = true;
        return;
      }
      this.window.shift();
      this.window.push(byte);
    }
  }

  /**
   * True when `byte` completes a bare LF, or a dot alone between line breaks where one of
   * them is a bare CR: `<CR>.<CR>`, or `<CR><LF>.<CR>` followed by anything but LF.
   */
  private isUnsafeAt(byte: number): boolean {
    const [third, second, first] = this.window as [number, number, number];
    if (byte === LF && first !== CR) return true;
    if (second === CR && first === DOT && byte === CR) return true;
    return third === LF && second === DOT && first === CR && byte !== LF;
  }

  /** True when the message contained a bare LF, or a dot line ended by a bare CR. */
  finish(): boolean {
    const [third, second, first] = this.window as [number, number, number];
    return this.isUnsafe || (first === CR && second === DOT && (third === LF || third === CR));
  }
}

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
