/**
 * The interactive screen: keeps the UI state, turns key presses into transitions with the pure
 * reducer, runs the effects it returns through `actions`, and tells the data layer what is on
 * screen. Never talks to the master itself: everything goes through `actions`.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { useInput } from 'ink';
import { Screen, jobsOnScreen } from './Screen.js';
import { parseFilter } from '../filter.js';
import { computeLayout, type TerminalSize } from '../layout.js';
import { handleKey, initialUiState, splitKeys, withNotice, type Effect, type UiState, type ViewContext } from '../reducer.js';
import type { ClusterData, TopActions } from '../model.js';

export interface AppProps {
  data: ClusterData;
  actions: TopActions;
  size: TerminalSize;
  /** Local clock; tests pass a fixed one. */
  now?: () => number;
  initialUi?: Partial<UiState>;
  /** How long a result line stays in the status bar. */
  noticeMs?: number;
}

export function App({ data, actions, size, now = Date.now, initialUi, noticeMs = 8000 }: AppProps) {
  const [ui, setUi] = useState<UiState>(() => initialUiState(initialUi));
  // Key presses can arrive faster than React re-renders; each must see the previous one's result.
  const uiRef = useRef(ui);
  const apply = (next: UiState): void => {
    uiRef.current = next;
    setUi(next);
  };

  const rows = useMemo(() => jobsOnScreen(data, ui), [data, ui]);
  const detailJob = data.detail?.jobId === ui.detailJobId ? data.detail?.job ?? null : null;
  const layout = computeLayout(size, { queues: data.queues.length, workers: data.workers.length, banner: data.connection.state === 'lost' });
  const view: ViewContext = {
    queues: data.queues,
    workers: data.workers,
    jobs: rows,
    detail: detailJob,
    pageSize: Math.max(1, layout.jobRows - 1),
  };
  const viewRef = useRef(view);
  viewRef.current = view;

  // Server-side parts of the filter apply once typing ends, not on every keystroke.
  const server = ui.editingFilter ? null : parseFilter(ui.filter);
  useEffect(() => {
    if (!server) return;
    actions.query({ status: ui.tab, queue: server.queue, type: server.type, workerId: server.workerId, detailJobId: ui.detailJobId });
  }, [actions, ui.tab, server?.queue, server?.type, server?.workerId, ui.detailJobId, ui.editingFilter]);

  useEffect(() => {
    const notice = ui.notice;
    if (!notice) return;
    const timer = setTimeout(() => {
      if (uiRef.current.notice === notice) apply({ ...uiRef.current, notice: null });
    }, noticeMs);
    return () => clearTimeout(timer);
  }, [ui.notice, noticeMs]);

  const run = (effect: Effect): void => {
    if (effect.kind === 'quit') {
      actions.quit();
      return;
    }
    const pending =
      effect.kind === 'cancel' ? actions.cancel(effect.jobId) : effect.kind === 'retry' ? actions.retry(effect.jobId) : actions.pause(effect.queue, effect.paused);
    pending.then(
      (text) => apply(withNotice(uiRef.current, text, 'info')),
      (error: unknown) => apply(withNotice(uiRef.current, error instanceof Error ? error.message : String(error), 'error')),
    );
  };

  useInput((input, key) => {
    for (const press of splitKeys({ input, ...key })) {
      const transition = handleKey(uiRef.current, press, viewRef.current);
      if (transition.state !== uiRef.current) apply(transition.state);
      if (transition.effect) run(transition.effect);
    }
  });

  return <Screen data={data} ui={ui} size={size} nowMs={now()} />;
}
