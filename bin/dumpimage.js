#!/usr/bin/env node
import { dumpimageMain } from '../dist/cli/dumpimage.js';
import { runMain } from '../dist/cli/run.js';

runMain(dumpimageMain, 'dumpimage');
