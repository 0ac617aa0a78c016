/**
 * One job, opened with Enter: its settings, progress, payload, result or error, and every attempt
 * with the worker and error. Long payloads are cut to a preview.
 */
import { Box, Text } from 'ink';
import { formatDuration } from '../../core/duration.js';
import { Pane, PANE_CHROME } from './Pane.js';
import { Table, type Column } from './Table.js';
import { formatAge, previewLines, progressBar, STATUS_COLOR, triesText } from '../format.js';
import type { DetailState } from '../model.js';

const ATTEMPT_COLUMNS: Column[] = [
  { title: 'ATTEMPT', width: 7, align: 'right' },
  { title: 'WORKER', width: 14 },
  { title: 'STARTED', width: 24, drop: 1 },
  { title: 'TOOK', width: 8, align: 'right' },
  { title: 'OUTCOME', width: 9 },
  { title: 'ERROR', width: 0 },
];

export interface JobDetailProps {
  detail: DetailState;
  nowMs: number;
  /** Content lines available. */
  lines: number;
  width: number;
}

export function JobDetailPane({ detail, nowMs, lines, width }: JobDetailProps) {
  const job = detail.job;
  if (!job) {
    return (
      <Pane lines={lines} focused>
        <Text bold>{`Job ${detail.jobId}`}</Text>
        <Text color={detail.error ? 'red' : undefined} dimColor={!detail.error}>
          {detail.error ?? 'loading…'}
        </Text>
        <Text dimColor>Esc back</Text>
      </Pane>
    );
  }
  const textWidth = Math.max(20, width - 8);
  const payload = previewLines(job.payload || '(empty)', textWidth, Math.max(1, Math.min(6, Math.floor(lines / 5))));
  const result = job.result === null ? null : previewLines(job.result, textWidth, Math.max(1, Math.min(4, Math.floor(lines / 6))));
  const attempts = job.attempts.map((a) => ({
    key: String(a.number),
    cells: [
      `#${a.number}`,
      a.workerId,
      new Date(a.startedAtMs).toISOString(),
      a.finishedAtMs ? formatDuration(a.finishedAtMs - a.startedAtMs) : formatDuration(Math.max(0, nowMs - a.startedAtMs)),
      { text: a.outcome, color: a.outcome === 'completed' ? 'green' : a.outcome === 'running' ? 'cyan' : 'red' },
      { text: a.error, color: 'red' },
    ],
  }));
  return (
    <Pane lines={lines} focused>
      <Text wrap="truncate">
        <Text bold>{`Job ${job.id}  ${job.type}  `}</Text>
        <Text color={STATUS_COLOR[job.status]} bold>
          {job.status}
        </Text>
        {`  queue ${job.queue}  priority ${job.priority}  tries ${triesText(job)} (attempt ${job.attempt})  timeout ${formatDuration(job.timeoutMs)}${job.workerId ? `  worker ${job.workerId}` : ''}`}
      </Text>
      <Text wrap="truncate" dimColor>
        {`created ${formatAge(job.createdAtMs, nowMs)} ago  changed ${formatAge(job.updatedAtMs, nowMs)} ago${job.finishedAtMs ? `  finished ${formatAge(job.finishedAtMs, nowMs)} ago` : ''}${job.status === 'scheduled' || job.status === 'retrying' ? `  runs in ${formatDuration(Math.max(0, job.runAtMs - nowMs))}` : ''}`}
      </Text>
      {job.status === 'running' && (
        <Text wrap="truncate">
          {'progress '}
          <Text color="cyan">{progressBar(job.progress, 20)}</Text>
          {` ${Math.round(job.progress)}%${job.progressMessage ? `  ${job.progressMessage}` : ''}`}
        </Text>
      )}
      <Text bold>{`payload (${job.contentType})`}</Text>
      <Box flexDirection="column" paddingLeft={2}>
        {payload.map((line, i) => (
          <Text key={i} wrap="truncate">
            {line}
          </Text>
        ))}
      </Box>
      {result && <Text bold>result</Text>}
      {result && (
        <Box flexDirection="column" paddingLeft={2}>
          {result.map((line, i) => (
            <Text key={i} wrap="truncate" color="green">
              {line}
            </Text>
          ))}
        </Box>
      )}
      {job.waiting ? (
        <Text wrap="truncate" color="yellow">
          {`waiting: ${job.waiting}`}
        </Text>
      ) : null}
      {job.error ? (
        <Text wrap="truncate" color="red">
          {`error  ${job.error}`}
        </Text>
      ) : null}
      <Table columns={ATTEMPT_COLUMNS} rows={attempts} width={width - PANE_CHROME} height={Math.max(1, attempts.length)} cursor={null} empty="no attempts yet" />
      {detail.error && <Text color="red">{`refresh failed: ${detail.error}`}</Text>}
      <Text dimColor>Esc back  c cancel  R retry</Text>
    </Pane>
  );
}
