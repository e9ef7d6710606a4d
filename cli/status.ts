// `tagflow status <run>`: where a run is (stage, chunks, rows) or how it ended.
import { Command } from 'commander';
import { ValidationError } from '../core/errors.js';
import {
  PROGRESS_QUERY,
  type RunProgress,
  type RunResult,
  runWorkflowId,
} from '../core/run-types.js';
import { rootCauseMessage } from './failures.js';
import { printRunResult } from './run-summary.js';
import { withTemporal } from './temporal-session.js';

export function statusCommand(print: (line: string) => void): Command {
  return new Command('status')
    .description('show the state of a run (by its name)')
    .argument('<run>', 'the run name (config `name`)')
    .action(async (run: string) => {
      await withTemporal(async ({ client }) => {
        const workflowId = runWorkflowId(run);
        const handle = client.workflow.getHandle(workflowId);
        let description: Awaited<ReturnType<typeof handle.describe>>;
        try {
          description = await handle.describe();
        } catch (err) {
          const { WorkflowNotFoundError } = await import('@temporalio/client');
          if (err instanceof WorkflowNotFoundError)
            throw new ValidationError(`no run named "${run}" (workflow ${workflowId})`);
          throw err;
        }
        const status = description.status.name;
        print(
          `run ${run}: ${status} (workflow ${workflowId}, started ${description.startTime.toISOString()})`,
        );
        if (status === 'RUNNING') {
          const p: RunProgress = await handle.query<RunProgress>(PROGRESS_QUERY);
          print(`  stage: ${p.stage}`);
          print(
            `  generation: ${p.chunksDone}/${p.chunksTotal} chunks, ${p.rowsGenerated}/${p.rowsPlanned} rows`,
          );
          for (const t of p.temperatures) {
            print(
              `    temperature ${t.temperature} (#${t.temperatureIndex}): ${t.chunksDone}/${t.chunksTotal} chunks, ${t.rows} rows`,
            );
          }
        } else if (status === 'COMPLETED') {
          printRunResult((await handle.result()) as RunResult, print);
        } else if (status === 'FAILED') {
          try {
            await handle.result();
          } catch (err) {
            print(`  failure: ${rootCauseMessage(err)}`);
          }
        }
      });
    });
}
