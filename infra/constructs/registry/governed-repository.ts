import { Aws, RemovalPolicy, Tags } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  type CfnRepository,
  ImageTagMutabilityExclusionFilter,
  type IRepository,
  Repository,
  RepositoryEncryption,
  TagMutability,
} from 'aws-cdk-lib/aws-ecr';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { buildRepositoryPolicy } from '../../../shared/access/repository-policy';
import type { RepositoryConfig } from '../../../shared/config/schema';
import { lifecyclePolicyText } from '../../../shared/lifecycle/policy';

export interface GovernedRepositoryProps {
  /** One validated `repositories[]` entry of the config. */
  readonly config: RepositoryConfig;
}

/**
 * One managed ECR repository (R1, R2, R3, R7): encryption, scan on push, tag mutability with
 * exclusion filters, the lifecycle policy from shared/lifecycle, the repository policy from
 * shared/access, resource tags. RETAIN unless the config says `removalPolicy: destroy`, and only
 * then are images emptied on delete.
 */
export class GovernedRepository extends Construct {
  readonly repository: IRepository;

  constructor(scope: Construct, id: string, props: GovernedRepositoryProps) {
    super(scope, id);
    const repo = props.config;
    const destroy = repo.removalPolicy === 'destroy';

    const encryptionKey =
      repo.encryption.type === 'KMS' && repo.encryption.kmsKeyArn
        ? Key.fromKeyArn(this, 'Key', repo.encryption.kmsKeyArn)
        : undefined;

    const repository = new Repository(this, 'Repository', {
      repositoryName: repo.name,
      encryption: repo.encryption.type === 'KMS' ? RepositoryEncryption.KMS : RepositoryEncryption.AES_256,
      encryptionKey,
      imageScanOnPush: repo.scanOnPush,
      imageTagMutability: TagMutability[repo.tagMutability],
      imageTagMutabilityExclusionFilters:
        repo.mutabilityExclusions.length > 0
          ? repo.mutabilityExclusions.map((pattern) => ImageTagMutabilityExclusionFilter.wildcard(pattern))
          : undefined,
      removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      emptyOnDelete: destroy ? true : undefined,
    });

    // The lifecycle policy text comes from the one builder the config checks and the CLI also use,
    // so what synth validated is byte for byte what ECR receives.
    const lifecycleText = lifecyclePolicyText(repo);
    if (lifecycleText) {
      (repository.node.defaultChild as CfnRepository).lifecyclePolicy = {
        lifecyclePolicyText: lifecycleText,
      };
    }

    const policy = buildRepositoryPolicy(repo.access, Aws.PARTITION);
    for (const statement of policy?.Statement ?? []) {
      repository.addToResourcePolicy(PolicyStatement.fromJson(statement));
    }

    Tags.of(repository).add('harbormaster:team', repo.team);
    for (const [key, value] of Object.entries(repo.tags)) Tags.of(repository).add(key, value);

    this.repository = repository;
  }
}
