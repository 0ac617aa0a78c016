#!/usr/bin/env node
// First: V8 settings by role, before anything else loads (src/runtime-flags.ts).
import '../dist/runtime-flags.js';
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
