import { RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { Role as IamRole, PolicyStatement, type Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { ScheduleGroup } from "aws-cdk-lib/aws-scheduler";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface ReleaseSchedulesProps {
  /** The indexer's event queue: each schedule sends `{"release":true}` there. */
  queue: IQueue;
}

/**
 * Future-dated articles go live on time: the indexer creates a one-time EventBridge Scheduler
 * schedule (`at(<article date>)`, named `release-<timeKey>`, deleted after it ran) in this
 * group, whose target is the indexer's own queue, sent to as `role`. The role may do nothing
 * but sqs:SendMessage on that queue, and only Scheduler (of this account) may assume it.
 */
export class ReleaseSchedules extends Construct {
  readonly group: ScheduleGroup;
  /** The role the schedules send with (RELEASE_ROLE_ARN). */
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: ReleaseSchedulesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Deleting the group deletes its schedules; a reconciliation re-creates pending releases.
    this.group = new ScheduleGroup(this, "Group", { removalPolicy: RemovalPolicy.DESTROY });
    this.role = new IamRole(this, "Role", {
      description: "Dateline release schedules: may only send to the indexer's queue",
      // Confused-deputy guard: only schedules of this account may act as this role.
      assumedBy: new ServicePrincipal("scheduler.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
      }),
    });
    this.role.addToPolicy(
      new PolicyStatement({
        sid: "SendRelease",
        actions: ["sqs:SendMessage"],
        resources: [props.queue.queueArn],
      }),
    );
  }

  /** ARN pattern of the schedules in the group (names are chosen at run time). */
  get scheduleArns(): string {
    return Stack.of(this).formatArn({
      service: "scheduler",
      resource: "schedule",
      resourceName: `${this.group.scheduleGroupName}/*`,
    });
  }

  /**
   * What the indexer needs to schedule a release: scheduler:CreateSchedule on schedules in this
   * group only, and iam:PassRole of the release role, only to Scheduler.
   */
  grantCreate(role: Role): void {
    role.addToPolicy(
      new PolicyStatement({
        sid: "CreateReleaseSchedules",
        actions: ["scheduler:CreateSchedule"],
        resources: [this.scheduleArns],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        sid: "PassReleaseRole",
        actions: ["iam:PassRole"],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } },
      }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.group.scheduleGroupName}/*]`,
      reason:
        "Release schedules are named release-<time> when an article's date is seen, so their names are not known at deploy time: scheduler:CreateSchedule is limited to schedules in Dateline's own release group.",
    });
  }
}
