import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface DaycareAlarmsProps {
  readonly api: lambda.IFunction;
  readonly worker: lambda.IFunction;
  readonly httpApi: apigwv2.HttpApi;
  readonly jobsQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** Subscribed to the alarm topic by e-mail (it must confirm the subscription). */
  readonly alarmEmail?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * The alarms that say "something is wrong right now". All publish to one SNS topic (state ALARM and back to OK).
 * Missing data is "not breaching": a quiet night is not an outage.
 */
export class DaycareAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: DaycareAlarmsProps) {
    super(scope, id);

    this.topic = new sns.Topic(this, 'Topic', { displayName: 'Daycare alarms', enforceSSL: true });
    if (props.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    const sum = { period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM };

    this.add('ApiErrors', props.api.metricErrors(sum), 1, 'The Api function threw (unhandled errors or timeouts) in the last 5 minutes.');
    this.add('ApiThrottles', props.api.metricThrottles(sum), 1, 'The Api function was throttled (concurrency limit reached).');
    this.add('WorkerErrors', props.worker.metricErrors(sum), 1, 'The Worker function failed (a whole batch or a scheduled task).');
    this.add('WorkerThrottles', props.worker.metricThrottles(sum), 1, 'The Worker function was throttled.');
    this.add(
      'DeadLetterMessages',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.MAXIMUM }),
      1,
      'Jobs (or scheduler invocations) landed in the dead-letter queue: inspect and redrive.',
    );
    this.add(
      'JobsBacklogAge',
      props.jobsQueue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.MAXIMUM }),
      Duration.minutes(15).toSeconds(),
      'The oldest job has waited 15 minutes or more: the worker is stuck or too slow.',
    );
    this.add('HttpApi5xx', props.httpApi.metricServerError(sum), 1, 'The HTTP API answered 5xx (app errors, Lambda errors or 504 timeouts).');
  }

  private add(id: string, metric: cloudwatch.IMetric, threshold: number, description: string): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    const action = new cwActions.SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
  }
}
