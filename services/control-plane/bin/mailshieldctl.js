#!/usr/bin/env node
// Committed launcher for the compiled CLI: npm links package bins at install time, before the
// build has written dist/, and skips the link when its target does not exist yet.
import '../dist/cli/main.js';
