/** An AbortSignal bound to a parent signal and a timer, with a way to drop both. */
export interface TimedSignal {
  signal: AbortSignal;
  /** Clears the timer and the listener on the parent; call once the guarded work is over. */
  dispose(): void;
}

/**
 * Returns a signal that aborts when `parent` aborts (with the parent's reason) or after
 * `timeoutMs` (with `onTimeout()` as the reason). Unlike AbortSignal.any, it leaves no listener
 * on a long-lived parent once disposed.
 */
export function timedSignal(
  parent: AbortSignal,
  timeoutMs: number,
  onTimeout: () => unknown,
): TimedSignal {
  const controller = new AbortController();
  const onParentAbort = (): void => controller.abort(parent.reason);
  const timer = setTimeout(() => controller.abort(onTimeout()), Math.max(0, timeoutMs));
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
