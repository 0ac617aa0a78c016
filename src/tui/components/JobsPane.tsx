/**
 * Jobs of one status (the tabs, keys 1..8), newest first except waiting jobs, narrowed by the `/`
 * filter. One page at most: the store may hold far more than a screen can show.
 */
import { Box, Text } from 'ink';
import type { JobStatus } from '../../core/job.js';
import { Pane, PANE_CHROME } from './Pane.js';
import { Table, type Column } from './Table.js';
import { formatAge, formatCount, STATUS_COLOR, triesText } from '../format.js';
import { JOB_TABS, JOBS_PAGE_LIMIT, type JobPage, type JobRow } from '../model.js';

const COLUMNS: Column[] = [
  { title: 'JOBS', width: 8, align: 'right' },
  { title: 'STATUS', width: 11 },
  { title: 'QUEUE', width: 12, drop: 4 },
  { title: 'TYPE', width: 14 },
  { title: 'PRI', width: 3, align: 'right', drop: 1 },
  { title: 'TRY', width: 5, align: 'right' },
  { title: 'WORKER', width: 14 },
  { title: 'AGE', width: 7, align: 'right', drop: 3 },
  { title: 'CHANGED', width: 7, align: 'right', drop: 2 },
  { title: 'PROGRESS / ERROR', width: 0 },
];

export interface JobsPaneProps {
  page: JobPage;
  /** The page's rows that pass the filter. */
  rows: JobRow[];
  tab: JobStatus;
  counts: Record<JobStatus, number> | null;
  filter: string;
  editingFilter: boolean;
  nowMs: number;
  height: number;
  /** Terminal columns. */
  width: number;
  focused: boolean;
  cursor: number;
}

function note(row: JobRow): { text: string; color?: string } {
  if (row.status === 'running') return { text: row.progress > 0 ? `${Math.round(row.progress)}%` : '' };
  if (row.waiting) return { text: `waiting: ${row.waiting}`, color: 'yellow' };
  return row.error ? { text: row.error, color: 'red' } : { text: '' };
}

/** Tab names when the terminal is narrow (the overview line still has every count). */
const SHORT: Record<JobStatus, string> = {
  queued: 'queued',
  running: 'running',
  retrying: 'retry',
  scheduled: 'sched',
  dead_letter: 'dead',
  failed: 'failed',
  completed: 'done',
  cancelled: 'cancel',
};

function Tabs({ tab, counts, filter, editingFilter, page, shown, width }: Pick<JobsPaneProps, 'tab' | 'counts' | 'filter' | 'editingFilter' | 'page' | 'width'> & { shown: number }) {
  const wide = width >= 130;
  const total = counts ? counts[tab] : null;
  const scope = page.more ? `${formatCount(shown)} of ${total === null ? 'many' : formatCount(total)} (first ${JOBS_PAGE_LIMIT})` : `${formatCount(shown)}${filter ? ' matching' : ''}`;
  return (
    <Box justifyContent="space-between">
      <Text wrap="truncate">
        {JOB_TABS.map((status, i) => (
          <Text key={status} inverse={status === tab} color={status === tab ? STATUS_COLOR[status] : undefined}>
            {wide ? ` ${i + 1} ${status}${counts ? ` ${formatCount(counts[status])}` : ''} ` : ` ${i + 1} ${SHORT[status]} `}
          </Text>
        ))}
      </Text>
      <Text wrap="truncate">
        {' '}
        {filter || editingFilter ? <Text color="yellow">{`/${filter}${editingFilter ? '▏' : ''}  `}</Text> : null}
        <Text dimColor>{scope}</Text>
      </Text>
    </Box>
  );
}

export function JobsPane(props: JobsPaneProps) {
  const { page, rows, tab, nowMs, height, width, focused, cursor } = props;
  const tableRows = rows.map((row) => ({
    key: row.id,
    cells: [
      row.id,
      { text: row.status, color: STATUS_COLOR[row.status] },
      row.queue,
      row.type,
      String(row.priority),
      triesText(row),
      row.workerId || '-',
      formatAge(row.createdAtMs, nowMs),
      formatAge(row.updatedAtMs, nowMs),
      note(row),
    ],
  }));
  const empty = page.error
    ? `cannot list jobs: ${page.error}`
    : !page.loaded || page.status !== tab
      ? 'loading…'
      : props.filter
        ? `no ${tab} jobs match /${props.filter}`
        : `no ${tab} jobs`;
  return (
    <Pane lines={height + 2} focused={focused}>
      <Tabs {...props} shown={rows.length} />
      <Table columns={COLUMNS} rows={page.error ? [] : tableRows} width={width - PANE_CHROME} height={height} cursor={focused ? cursor : null} empty={empty} emptyColor={page.error ? 'red' : undefined} />
    </Pane>
  );
}
