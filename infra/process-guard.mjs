#!/usr/bin/env node
// Runs a command and ends it when the process that asked for it is gone.
//
//   node infra/process-guard.mjs <owner-pid> <command> [args...]
//
// The dev server must not outlive whoever started it, even when that owner is killed with
// SIGKILL and has no chance to clean up (Linux has no portable parent-death signal from
// Node). The guard polls the owner and, once it has exited, stops the child with SIGTERM,
// then SIGKILL. Signals sent to the guard are passed on to the child.
import { spawn } from 'node:child_process';

const [ownerArg, command, ...args] = process.argv.slice(2);
const owner = Number(ownerArg);
if (!Number.isInteger(owner) || owner <= 0 || !command) {
  process.stderr.write('usage: process-guard.mjs <owner-pid> <command> [args...]\n');
  process.exit(2);
}

const child = spawn(command, args, { stdio: 'inherit' });
let stopping = false;

function stop(signal = 'SIGTERM') {
  if (stopping || child.exitCode !== null) return;
  stopping = true;
  child.kill(signal);
  setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
}

function ownerAlive() {
  try {
    process.kill(owner, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

const poll = setInterval(() => {
  if (!ownerAlive()) stop();
}, 250);

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop('SIGTERM'));

child.on('error', (err) => {
  process.stderr.write(`process-guard: cannot start ${command}: ${err.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  clearInterval(poll);
  process.exit(code ?? (signal ? 128 : 1));
});
