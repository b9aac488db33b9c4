import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { STATE_TABLE_KEYS } from '../../../shared/state/image-state-store';

export interface ImageStateTableProps {
  /**
   * What happens to the table on `cdk destroy` or when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * DynamoDB deletion protection: a DeleteTable call fails until it is turned off.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/** The calls shared/state/image-state-store.ts makes: a consistent read, and conditional updates. */
export const STATE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;

/**
 * The image state (shared/state): one item per image digest with its current verdict, the finding set of
 * its last alert, what quarantine removed, its index or its children, and the lease of the event changing
 * it. Decisions depend on it (promotion, release), so it is kept like the audit trail: on-demand, point-in-
 * time recovery, deletion protection, RETAIN, encrypted with the AWS managed key.
 */
export class ImageStateTable extends Construct {
  public readonly table: ITable;

  constructor(scope: Construct, id: string, props: ImageStateTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: STATE_TABLE_KEYS.partitionKey.name, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /** Lets `grantee` read image states and change them with the store's conditional updates. */
  public grantReadWrite(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...STATE_ACTIONS],
        resources: [this.table.tableArn],
      }),
    );
  }

  /** Lets `grantee` read image states (the replicator re-checks a verdict before copying). */
  public grantRead(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:GetItem'],
        resources: [this.table.tableArn],
      }),
    );
  }
}
