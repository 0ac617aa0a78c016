/**
 * The top three lines: who and how the master is, counts by status, and throughput with a
 * sparkline of the last minute and the queue-wait percentiles.
 */
import { Box, Text } from 'ink';
import { formatDuration } from '../../core/duration.js';
import { formatCount, formatRate, sparkline, STATUS_COLOR } from '../format.js';
import { JOB_TABS, type ClusterData } from '../model.js';


function connectionText(data: ClusterData, nowMs: number): { text: string; color: string } {
  const c = data.connection;
  if (c.state === 'connected') return { text: `● connected${data.streaming === false ? ' (events reconnecting)' : ''}`, color: 'green' };
  if (c.state === 'connecting') return { text: '○ connecting…', color: 'yellow' };
  return { text: `✖ lost ${formatDuration(Math.max(0, nowMs - c.sinceMs))} ago, reconnecting`, color: 'red' };
}

const KEYS_HINT = '? help  q quit';

export interface OverviewProps {
  data: ClusterData;
  /** Local clock, for how long the master has been away. */
  nowMs: number;
  /** Terminal columns. */
  width: number;
}

export function Overview({ data, nowMs, masterNowMs, width, snapshot = false }: OverviewProps & { masterNowMs: number; snapshot?: boolean }) {
  const sparkWidth = width >= 140 ? 30 : 16;
  const o = data.overview;
  const total = o ? Object.values(o.counts).reduce((a, b) => a + b, 0) : 0;
  const title = `nucleus top  master ${data.address}${o ? `  v${o.version}  up ${formatDuration(Math.max(0, masterNowMs - o.startedAtMs))}  ` : '  '}`;
  const connection = connectionText(data, nowMs);
  // The key hint only where it fits beside the title with a gap (the status bar repeats it), so
  // that on a narrow terminal the two never run together.
  const hint = !snapshot && title.length + connection.text.length + 2 + KEYS_HINT.length <= width;
  return (
    <Box flexDirection="column">
      <Box justifyContent="space-between">
        <Text wrap="truncate">
          <Text bold color="cyan">
            nucleus top
          </Text>
          {title.slice('nucleus top'.length)}
          <Text color={connection.color}>{connection.text}</Text>
        </Text>
        {hint && (
          <Box flexShrink={0} marginLeft={2}>
            <Text dimColor>{KEYS_HINT}</Text>
          </Box>
        )}
      </Box>
      <Text wrap="truncate">
        <Text bold>jobs </Text>
        {` ${o ? formatCount(total) : '-'}:`}
        {JOB_TABS.map((status) => (
          <Text key={status}>
            {'  '}
            <Text color={STATUS_COLOR[status]}>{status}</Text> {o ? formatCount(o.counts[status]) : '-'}
          </Text>
        ))}
      </Text>
      <Text wrap="truncate">
        <Text bold>rate </Text>
        {`  in ${formatRate(o?.submittedPerSec ?? null)}  out ${formatRate(o?.finishedPerSec ?? null)}  `}
        <Text color="green">{sparkline(o?.finishedHistory ?? [], sparkWidth)}</Text>
        <Text dimColor> out/s, 1 min</Text>
        {`   queue wait p50 ${o ? formatDuration(o.queueWaitP50Ms) : '-'}  p95 ${o ? formatDuration(o.queueWaitP95Ms) : '-'}`}
        {o ? `   submitted ${formatCount(o.submittedTotal)}  finished ${formatCount(o.finishedTotal)}` : ''}
      </Text>
    </Box>
  );
}

/** A red line when the master is away: what failed, since when, and that it keeps trying. */
export function LostBanner({ data, nowMs }: Omit<OverviewProps, 'width'>) {
  const c = data.connection;
  if (c.state !== 'lost') return null;
  return (
    <Text color="red" bold wrap="truncate">
      {`master unreachable for ${formatDuration(Math.max(0, nowMs - c.sinceMs))} (try ${c.attempts}): ${c.error}. Reconnecting by itself; the figures are the last seen.`}
    </Text>
  );
}
