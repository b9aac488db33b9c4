import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type Attribute,
  ProjectionType,
  Table,
  TableEncryption,
  type ITable,
} from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { AUDIT_TABLE_KEYS } from '../../../shared/audit/timeline-store';

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

/**
 * Writes the audit store (shared/audit/writer.ts) makes: a conditional put per event (idempotent by event id),
 * and a delete that withdraws that row when a later action of the same event failed, so the retry redoes it.
 */
export const AUDIT_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:DeleteItem'] as const;
/** Reads the audit store makes: timeline queries, per image on the table and per repository on the GSI. */
export const AUDIT_READ_ACTIONS = ['dynamodb:Query'] as const;

/**
 * The audit trail (A6): one timeline per image (table keys) and per repository (GSI), rows expiring by TTL.
 * On-demand, point-in-time recovery, deletion protection, RETAIN and KMS encryption with the AWS managed key.
 */
export class AuditTable extends Construct {
  public readonly table: ITable;
  /** Name of the GSI that holds the per-repository timeline. */
  public readonly repositoryIndexName: string = AUDIT_TABLE_KEYS.repositoryIndex.indexName;

  constructor(scope: Construct, id: string, props: AuditTableProps = {}) {
    super(scope, id);
    const table = new Table(this, 'Table', {
      partitionKey: keyAttribute(AUDIT_TABLE_KEYS.partitionKey),
      sortKey: keyAttribute(AUDIT_TABLE_KEYS.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: AUDIT_TABLE_KEYS.timeToLiveAttribute,
      deletionProtection: props.deletionProtection ?? true,
      // aws/dynamodb: encrypted at rest with a KMS key whose use shows in CloudTrail, no key to manage.
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    table.addGlobalSecondaryIndex({
      indexName: AUDIT_TABLE_KEYS.repositoryIndex.indexName,
      partitionKey: keyAttribute(AUDIT_TABLE_KEYS.repositoryIndex.partitionKey),
      sortKey: keyAttribute(AUDIT_TABLE_KEYS.repositoryIndex.sortKey),
      // The store reads whole rows from the index (no second read per row).
      projectionType: ProjectionType[AUDIT_TABLE_KEYS.repositoryIndex.projection],
    });
    this.table = table;
  }

  /** Lets `grantee` append audit rows (conditional puts) and withdraw its own rows after a failed action. */
  public grantWrite(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...AUDIT_WRITE_ACTIONS],
        resources: [this.table.tableArn],
      }),
    );
  }

  /** Lets `grantee` query both timelines (the table and the repository GSI, nothing else). */
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

const ATTRIBUTE_TYPES = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
  B: AttributeType.BINARY,
} as const;

/** The store spells key types as DynamoDB does ('S', 'N', 'B'). */
function keyAttribute(key: {
  readonly name: string;
  readonly type: keyof typeof ATTRIBUTE_TYPES;
}): Attribute {
  return { name: key.name, type: ATTRIBUTE_TYPES[key.type] };
}
