import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { HarbormasterConfig } from '../../shared/config/schema';

export interface RegistryStackProps extends StackProps {
  /** The validated Harbormaster config. */
  readonly config: HarbormasterConfig;
}

/** Placeholder: the owning issue fills this stack in. */
export class RegistryStack extends Stack {
  constructor(scope: Construct, id: string, props: RegistryStackProps) {
    super(scope, id, props);
  }
}
