#!/usr/bin/env node
// meshctl entry point: oclif finds the compiled commands under dist/commands (see package.json "oclif").
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
