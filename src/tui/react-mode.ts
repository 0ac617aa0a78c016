/**
 * Which React build the terminal UI runs on. React picks its development or production build from
 * NODE_ENV when it is first imported; the development build keeps debugging data for every render
 * that, at ten redraws a second under load, grew `nucleus top` by about 12 MB a second (1.5 GB
 * after six minutes at 1,000 jobs/s), while the production build stays flat (about 160 MB).
 * A command-line tool therefore runs the production build unless NODE_ENV says otherwise.
 */

/** Call before the first import of react or ink. */
export function preferProductionReact(env: NodeJS.ProcessEnv = process.env): void {
  env.NODE_ENV ??= 'production';
}

/**
 * Ink draws only the final frame when it believes it runs in CI (a `CI` or
 * `CONTINUOUS_INTEGRATION` variable). The live view starts only with a terminal at both ends, so
 * a person is watching: tell Ink so. Call before the first import of ink.
 */
export function preferLiveTerminal(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of ['CI', 'CONTINUOUS_INTEGRATION']) if (name in env) env[name] = 'false';
}
