import { Duration } from "aws-cdk-lib";
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface OperatorAlarmsProps {
  feedFunction: IFunction;
  indexerFunction: IFunction;
  /** Dead-letter queues: one message in any of them is a change that was given up on. */
  deadLetterQueues: IQueue[];
  /** Subscribed to the topic by e-mail when set (AWS sends a confirmation mail first). */
  email?: string;
}

/**
 * The alarms an operator wants from day one, each notifying one SNS topic: a dead-letter queue
 * holds a message, the indexer failed, the feed function answered 5xx, failed or was throttled.
 * Each fires on a single occurrence within 5 minutes and clears itself when it stops.
 */
export class OperatorAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: OperatorAlarmsProps) {
    super(scope, id);
    // TLS-only (enforceSSL). Not KMS-encrypted: CloudWatch alarms cannot publish to a topic
    // under the AWS managed key (aws/sns), a customer managed key costs $1/month, and the
    // notifications carry alarm names and states only.
    this.topic = new Topic(this, "Topic", {
      displayName: "Dateline alarms",
      enforceSSL: true,
    });
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
    const action = new SnsAction(this.topic);

    const alarm = (name: string, description: string, metric: IMetric) => {
      const created = new Alarm(this, name, {
        alarmDescription: `Dateline: ${description}`,
        metric,
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No data (no traffic, an empty queue's metric not yet published) is not a problem.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
    };

    props.deadLetterQueues.forEach((queue, i) => {
      alarm(
        `DeadLetters${i === 0 ? "" : i + 1}`,
        `a message reached the dead-letter queue ${queue.node.path} (a change was given up on: see the function's log, then redrive)`,
        queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: "Maximum",
        }),
      );
    });
    alarm(
      "IndexerErrors",
      "the indexer failed (its batch is retried; see its log group)",
      props.indexerFunction.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }),
    );
    const feed = props.feedFunction;
    alarm(
      "FeedFailures",
      "the feed function answered 5xx, failed or was throttled",
      new MathExpression({
        label: "feed 5xx + errors + throttles",
        expression: "FILL(url5xx, 0) + FILL(errors, 0) + FILL(throttles, 0)",
        usingMetrics: {
          url5xx: feed.metric("Url5xxCount", { statistic: "Sum" }),
          errors: feed.metricErrors({ statistic: "Sum" }),
          throttles: feed.metricThrottles({ statistic: "Sum" }),
        },
        period: Duration.minutes(5),
      }),
    );
  }
}
