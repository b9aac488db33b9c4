import { Aws, Stack, Token, Validations } from 'aws-cdk-lib';
import { CfnRepositoryCreationTemplate } from 'aws-cdk-lib/aws-ecr';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { repositoryPolicyText } from '../../../shared/access/repository-policy';
import type { CreationTemplateConfig } from '../../../shared/config/schema';
import { lifecyclePolicyText } from '../../../shared/lifecycle/policy';

export interface CreationTemplatesProps {
  /** The config's `creationTemplates`. */
  readonly templates: readonly CreationTemplateConfig[];
}

/** ECR needs a role of its own only to tag repositories or to encrypt them with KMS on our behalf. */
function needsRole(template: CreationTemplateConfig): boolean {
  return Object.keys(template.tags).length > 0 || template.encryption.type === 'KMS';
}

/**
 * Repository creation templates (R6) for REPLICATION and PULL_THROUGH_CACHE: repositories that ECR
 * creates itself (replicas arriving in this registry, cached upstream images) inherit lifecycle,
 * tag mutability with exclusions, encryption, repository policy and tags, like managed ones.
 */
export class CreationTemplates extends Construct {
  /** The role ECR assumes to apply tags and KMS encryption, when a template needs one. */
  readonly role?: Role;

  constructor(scope: Construct, id: string, props: CreationTemplatesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const withRole = props.templates.filter(needsRole);
    if (withRole.length > 0) this.role = this.createRole(stack, withRole);

    props.templates.forEach((template) => {
      const tags = Object.entries(template.tags).map(([key, value]) => ({ key, value }));
      new CfnRepositoryCreationTemplate(this, `Template-${template.prefix}`, {
        prefix: template.prefix,
        appliedFor: [...template.appliedFor],
        description: template.description,
        imageTagMutability: template.tagMutability,
        imageTagMutabilityExclusionFilters:
          template.mutabilityExclusions.length > 0
            ? template.mutabilityExclusions.map((filter) => ({
                imageTagMutabilityExclusionFilterType: 'WILDCARD',
                imageTagMutabilityExclusionFilterValue: filter,
              }))
            : undefined,
        encryptionConfiguration:
          template.encryption.type === 'KMS'
            ? { encryptionType: 'KMS', kmsKey: template.encryption.kmsKeyArn }
            : { encryptionType: 'AES256' },
        lifecyclePolicy: lifecyclePolicyText(template),
        repositoryPolicy: repositoryPolicyText(template.access, Aws.PARTITION),
        resourceTags: tags.length > 0 ? tags : undefined,
        customRoleArn: needsRole(template) ? this.role?.roleArn : undefined,
      });
    });
  }

  private createRole(stack: Stack, templates: readonly CreationTemplateConfig[]): Role {
    const repositoryArns = templates.map((t) =>
      stack.formatArn({
        service: 'ecr',
        resource: 'repository',
        resourceName: t.prefix === 'ROOT' ? '*' : `${t.prefix.replace(/\/$/, '')}/*`,
      }),
    );
    const statements = [
      new PolicyStatement({
        sid: 'CreateTemplatedRepositories',
        actions: ['ecr:CreateRepository', 'ecr:ReplicateImage', 'ecr:TagResource'],
        resources: [...new Set(repositoryArns)],
      }),
    ];
    const kmsTemplates = templates.filter((t) => t.encryption.type === 'KMS');
    const keyArns = kmsTemplates.flatMap((t) =>
      t.encryption.type === 'KMS' && t.encryption.kmsKeyArn ? [t.encryption.kmsKeyArn] : [],
    );
    if (keyArns.length > 0) {
      statements.push(
        new PolicyStatement({
          sid: 'UseCustomerKeys',
          actions: ['kms:CreateGrant', 'kms:DescribeKey', 'kms:RetireGrant'],
          resources: [...new Set(keyArns)],
        }),
      );
    }
    const usesAwsManagedKey = kmsTemplates.some(
      (t) => t.encryption.type === 'KMS' && !t.encryption.kmsKeyArn,
    );
    if (usesAwsManagedKey) {
      statements.push(
        new PolicyStatement({
          sid: 'UseAwsManagedEcrKey',
          actions: ['kms:CreateGrant', 'kms:DescribeKey', 'kms:RetireGrant'],
          resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
          conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/aws/ecr' } },
        }),
      );
    }
    const role = new Role(this, 'Role', {
      description: 'Assumed by ECR to create repositories from Harbormaster creation templates (tags, KMS)',
      assumedBy: new ServicePrincipal('ecr.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      inlinePolicies: { CreationTemplates: new PolicyDocument({ statements }) },
    });
    // Repositories that ECR creates have names known only by prefix: the wildcard is the prefix's.
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    for (const t of templates) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:${stack.region}:${account}:repository/${t.prefix === 'ROOT' ? '*' : `${t.prefix.replace(/\/$/, '')}/*`}]`,
        reason: `ECR creates these repositories at replication/pull-through time; their names are only known as the template prefix ${t.prefix}`,
      });
    }
    if (usesAwsManagedKey) {
      // The AWS managed key's id differs per account and region and is not known at synth.
      Validations.of(role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${stack.region}:${account}:key/*]`,
        reason:
          'Limited by the kms:ResourceAliases condition to the AWS managed key alias/aws/ecr, whose key id is unknown at synth',
      });
    }
    return role;
  }
}
