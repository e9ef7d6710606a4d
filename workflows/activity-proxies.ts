// The activity proxies of a run's workflows: the queue each kind runs on, its timeouts and
// its retry policy (validation errors are never retried).
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../core/errors.js';
import type { RunInput } from '../core/run-types.js';
import { taskQueueName } from './task-queues.js';

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_TYPES];

// Every activity heartbeats at least every 2 s while its event loop is free
// (activities/heartbeat.ts). Inference-queue activities (chunks, calibration, concepts,
// training) await onnxruntime's threads, so a short timeout is safe and a killed worker's chunk
// runs again within about 15 s. CPU stages run their heavy work on stage threads
// (activities/stage-threads.ts) but keep a minute: their input loading stays on the loop.
const GPU_HEARTBEAT_TIMEOUT_SECONDS = 15;
const CPU_HEARTBEAT_TIMEOUT_SECONDS = 60;

export function cpuActivities(input: RunInput) {
  return proxyActivities<Activities>({
    taskQueue: taskQueueName('cpu', input.queuePrefix),
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: `${Math.max(input.heartbeatTimeoutSeconds ?? 0, CPU_HEARTBEAT_TIMEOUT_SECONDS)} seconds`,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 10,
      nonRetryableErrorTypes,
    },
  });
}

/**
 * Publishing: a target that cannot be reached (a Hub outage, no network) fails the run after
 * PUBLISH_MAX_ATTEMPTS attempts, 2, 4, 8, 16 s apart (about half a minute), with the last cause.
 */
const PUBLISH_MAX_ATTEMPTS = 5;

export function publishActivity(input: RunInput) {
  return proxyActivities<Activities>({
    taskQueue: taskQueueName('cpu', input.queuePrefix),
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: `${Math.max(input.heartbeatTimeoutSeconds ?? 0, CPU_HEARTBEAT_TIMEOUT_SECONDS)} seconds`,
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: PUBLISH_MAX_ATTEMPTS,
      nonRetryableErrorTypes,
    },
  }).publish;
}

export function gpuActivities(input: RunInput) {
  return proxyActivities<Activities>({
    taskQueue: taskQueueName('gpu', input.queuePrefix),
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: `${input.heartbeatTimeoutSeconds ?? GPU_HEARTBEAT_TIMEOUT_SECONDS} seconds`,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 20,
      nonRetryableErrorTypes,
    },
  });
}
