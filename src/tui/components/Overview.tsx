/**
 * The top three lines: who and how the master is, counts by status, and throughput with a
 * sparkline of the last minute and the queue-wait percentiles.
 */
import { Box, Text } from 'ink';
import { formatDuration } from '../../core/duration.js';
import { formatCount, formatRate, sparkline, STATUS_COLOR } from '../format.js';
import { JOB_TABS, type ClusterData } from '../model.js';


function Connection({ data, nowMs }: { data: ClusterData; nowMs: number }) {
  const c = data.connection;
  if (c.state === 'connected') {
    return <Text color="green">● connected{data.streaming === false ? ' (events reconnecting)' : ''}</Text>;
  }
  if (c.state === 'connecting') return <Text color="yellow">○ connecting…</Text>;
  return <Text color="red">✖ lost {formatDuration(Math.max(0, nowMs - c.sinceMs))} ago, reconnecting</Text>;
}

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
  return (
    <Box flexDirection="column">
      <Box justifyContent="space-between">
        <Text wrap="truncate">
          <Text bold color="cyan">
            nucleus top
          </Text>
          {`  master ${data.address}`}
          {o ? `  v${o.version}  up ${formatDuration(Math.max(0, masterNowMs - o.startedAtMs))}  ` : '  '}
          <Connection data={data} nowMs={nowMs} />
        </Text>
        {!snapshot && <Text dimColor>? help  q quit</Text>}
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
