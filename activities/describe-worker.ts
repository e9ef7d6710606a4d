// Reports which worker process picked up the task: used by `tagflow doctor` and the
// integration tests to prove a real worker served a real workflow.
import { hostname } from 'node:os';
import { Context } from '@temporalio/activity';

export interface WorkerDescription {
  hostname: string;
  pid: number;
  node: string;
  taskQueue: string;
  device: string;
}

export function makeDescribeWorker(device: string) {
  return async function describeWorker(): Promise<WorkerDescription> {
    return {
      hostname: hostname(),
      pid: process.pid,
      node: process.version,
      taskQueue: Context.current().info.taskQueue,
      device,
    };
  };
}
