// `tagflow schedule create|list|pause|unpause|delete`: periodic refreshes as Temporal
// Schedules. Each scheduled run gets its own run id, seed and output revision (see
// workflows/scheduled-run.ts); a run still going when the next is due makes that one skip.
import { Command, InvalidArgumentError } from 'commander';
import { ValidationError } from '../core/errors.js';
import { DEFAULT_QUEUE_PREFIX, taskQueueName } from '../workflows/task-queues.js';
import { withTemporal } from './temporal-session.js';

export function scheduleId(name: string): string {
  return `tagflow-schedule-${name}`;
}

function interval(value: string): string {
  if (!/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/.test(value.trim())) {
    throw new InvalidArgumentError('expected a duration such as 30s, 15m, 12h or 7d');
  }
  return value.trim();
}

async function onSchedule<T>(
  name: string,
  fn: (handle: ReturnType<import('@temporalio/client').ScheduleClient['getHandle']>) => Promise<T>,
) {
  return withTemporal(async ({ client }) => {
    try {
      return await fn(client.schedule.getHandle(scheduleId(name)));
    } catch (err) {
      const { ScheduleNotFoundError } = await import('@temporalio/client');
      if (err instanceof ScheduleNotFoundError)
        throw new ValidationError(`no schedule named "${name}"`);
      throw err;
    }
  });
}

export function scheduleCommand(print: (line: string) => void): Command {
  const schedule = new Command('schedule').description(
    'periodic refresh runs (Temporal Schedules; needs a long-running cluster and workers: TEMPORAL_ADDRESS)',
  );
  schedule
    .command('create')
    .description('run a configuration on a schedule')
    .requiredOption('-c, --config <file>', 'run configuration (YAML or JSON)')
    .option('--every <duration>', 'interval, e.g. 7d or 12h', interval)
    .option('--cron <expression>', 'cron expression (UTC), e.g. "0 3 * * 1"')
    .option('--paused', 'create it paused', false)
    .option(
      '--queue-prefix <prefix>',
      'task-queue prefix of the workers (default tagflow, or TAGFLOW_QUEUE_PREFIX)',
    )
    .action(
      async (options: {
        config: string;
        every?: string;
        cron?: string;
        paused: boolean;
        queuePrefix?: string;
      }) => {
        const queuePrefix =
          options.queuePrefix ?? process.env.TAGFLOW_QUEUE_PREFIX ?? DEFAULT_QUEUE_PREFIX;
        if (Boolean(options.every) === Boolean(options.cron))
          throw new ValidationError('give exactly one of --every or --cron');
        const { loadRunConfig } = await import('../core/config.js');
        const config = loadRunConfig(options.config);
        const { ScheduleOverlapPolicy } = await import('@temporalio/client');
        await withTemporal(async ({ client }) => {
          await client.schedule.create({
            scheduleId: scheduleId(config.name),
            spec: options.every
              ? { intervals: [{ every: options.every }] }
              : { cronExpressions: [options.cron!] },
            action: {
              type: 'startWorkflow',
              workflowType: 'scheduledRun',
              taskQueue: taskQueueName('cpu', queuePrefix),
              workflowId: `tagflow-${config.name}`,
              args: [{ config, queuePrefix }],
            },
            policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
            state: { paused: options.paused, note: `tagflow run config ${options.config}` },
          });
        });
        print(
          `schedule ${config.name} created (${options.every ? `every ${options.every}` : `cron ${options.cron}`})`,
        );
      },
    );
  schedule
    .command('list')
    .description('list schedules')
    .action(async () => {
      await withTemporal(async ({ client }) => {
        let any = false;
        for await (const s of client.schedule.list()) {
          if (!s.scheduleId.startsWith('tagflow-schedule-')) continue;
          any = true;
          const next = s.info.nextActionTimes[0]?.toISOString() ?? '-';
          print(
            `${s.scheduleId.slice('tagflow-schedule-'.length)}\t${s.state.paused ? 'paused' : 'active'}\tnext ${next}\tlast runs ${s.info.recentActions.length}`,
          );
        }
        if (!any) print('no schedules');
      });
    });
  for (const [verb, description] of [
    ['pause', 'pause a schedule'],
    ['unpause', 'resume a paused schedule'],
    ['delete', 'delete a schedule (runs already started go on)'],
    ['trigger', 'start a run of the schedule now'],
  ] as const) {
    schedule
      .command(verb)
      .description(description)
      .argument('<name>', 'the schedule (run config name)')
      .action(async (name: string) => {
        await onSchedule(name, (handle) => handle[verb]());
        print(`schedule ${name}: ${verb}${verb.endsWith('e') ? 'd' : 'ed'}`);
      });
  }
  return schedule;
}
