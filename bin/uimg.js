#!/usr/bin/env node
import { uimgMain } from '../dist/cli/uimg/index.js';
import { runMain } from '../dist/cli/run.js';

runMain(uimgMain, 'uimg');
