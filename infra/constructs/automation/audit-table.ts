import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { AUDIT_TABLE_KEYS } from './audit-table-keys';

export interface AuditTableProps {
  /**
   * What happens to the table (and the audit trail in it) on `cdk destroy` or when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * DynamoDB deletion protection: a DeleteTable call fails until it is turned off.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/** Item writes the audit store makes: conditional puts (idempotent by event id), updates and transaction checks. */
export const AUDIT_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'] as const;
/** Reads the audit store makes: one item, or one timeline (per image on the table, per repository on the GSI). */
export const AUDIT_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'] as const;

/**
 * The audit trail (A6): one timeline per image (table keys) and per repository (GSI), rows expiring by TTL.
 * On-demand, point-in-time recovery, deletion protection, RETAIN and KMS encryption with the AWS managed key.
 */
export class AuditTable extends Construct {
  public readonly table: ITable;
  /** Name of the GSI that holds the per-repository timeline. */
  public readonly repositoryIndexName: string = AUDIT_TABLE_KEYS.byRepository.indexName;

  constructor(scope: Construct, id: string, props: AuditTableProps = {}) {
    super(scope, id);
    const table = new Table(this, 'Table', {
      partitionKey: { name: AUDIT_TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: AUDIT_TABLE_KEYS.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: AUDIT_TABLE_KEYS.ttlAttribute,
      deletionProtection: props.deletionProtection ?? true,
      // aws/dynamodb: encrypted at rest with a KMS key whose use shows in CloudTrail, no key to manage.
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    table.addGlobalSecondaryIndex({
      indexName: AUDIT_TABLE_KEYS.byRepository.indexName,
      partitionKey: { name: AUDIT_TABLE_KEYS.byRepository.partitionKey, type: AttributeType.STRING },
      sortKey: { name: AUDIT_TABLE_KEYS.byRepository.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    this.table = table;
  }

  /** Lets `grantee` append audit rows (conditional writes) to the table. */
  public grantWrite(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: [...AUDIT_WRITE_ACTIONS], resources: [this.table.tableArn] }),
    );
  }

  /** Lets `grantee` read rows and query both timelines (the table and the repository GSI, nothing else). */
  public grantRead(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...AUDIT_READ_ACTIONS],
        resources: [this.table.tableArn, this.repositoryIndexArn],
      }),
    );
  }

  /** ARN of the repository timeline index: an exact index ARN rather than `index/*`. */
  public get repositoryIndexArn(): string {
    return `${this.table.tableArn}/index/${this.repositoryIndexName}`;
  }
}
