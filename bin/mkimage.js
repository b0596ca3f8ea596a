#!/usr/bin/env node
import { mkimageMain } from '../dist/cli/mkimage.js';
import { runMain } from '../dist/cli/run.js';

runMain(mkimageMain, 'mkimage');
